#pragma once
// Refusing hostile YAML before building a document tree (private to host core).
#include <string>

namespace ng::host {

/// Streams `text` through the YAML parser without building nodes, counting nodes as a reader
/// would see them (aliases expanded) and nesting depth. Throws GraphError ("too_large",
/// "too_deep" or "yaml_syntax", located) as soon as a limit of graph_io.hpp is passed, so
/// neither memory nor time grows with the size of an attack.
void check_yaml_limits(const std::string& text, const std::string& file);

}  // namespace ng::host
