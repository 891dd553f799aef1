#include <filesystem>

#include <noisegraph/node.hpp>

#include "nodes.hpp"

void register_file_nodes(ng::Registrar& r) {
  ng::NodeSpec size("testing.file_size", {1, 0});
  size.display("File size").category("testing").describe("Size in bytes of a file (a Path parameter).")
      .output("bytes", ng::type::Float)
      .path_param("file").describe("resolved against the graph folder, then the model search path");
  size.run([](ng::NodeCall& call) {
    const auto p = call.param_path("file");
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    if (ec) throw ng::Error("cannot read '" + p.string() + "': " + ec.message());
    call.set("bytes", double(n));
  });
  r.add(std::move(size));
}
