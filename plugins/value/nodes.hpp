#pragma once
namespace ng {
class Registrar;
}

namespace ng::value {

void register_value_nodes(Registrar& r);  // value.int, value.float, value.string, value.bool

}  // namespace ng::value
