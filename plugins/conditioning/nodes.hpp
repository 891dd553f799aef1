#pragma once
// Registration functions of the conditioning plugin.
namespace ng {
class Registrar;
}

namespace ng::conditioning {

void register_combine_nodes(Registrar& r);  // conditioning.combine, conditioning.average
void register_modify_nodes(Registrar& r);   // conditioning.set_{strength,timestep_range,area,mask}
void register_source_nodes(Registrar& r);   // conditioning.empty, conditioning.class

}  // namespace ng::conditioning
