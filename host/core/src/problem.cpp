#include "noisegraph/host/problem.hpp"

namespace ng::host {

std::string format_problem(const Problem& p) {
  std::string out;
  if (!p.file.empty()) {
    out += p.file;
    if (p.line > 0) {
      out += ':' + std::to_string(p.line);
      if (p.column > 0) out += ':' + std::to_string(p.column);
    }
    out += ": ";
  }
  out += "error: ";
  if (!p.node.empty()) out += "node '" + p.node + "': ";
  out += p.message;
  if (!p.code.empty()) out += " [" + p.code + "]";
  if (!p.hint.empty()) out += "\n  hint: " + p.hint;
  return out;
}

GraphError::GraphError(Problem p) : std::runtime_error(format_problem(p)), problem_(std::move(p)) {}

}  // namespace ng::host
