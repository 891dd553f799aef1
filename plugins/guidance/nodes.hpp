#pragma once
// Registration functions of the guidance plugin.
namespace ng {
class Registrar;
}

namespace ng::guidance {

void register_guider_nodes(Registrar& r);      // guidance.basic, guidance.cfg, guidance.compose
void register_classifier_node(Registrar& r);  // guidance.classifier

}  // namespace ng::guidance
