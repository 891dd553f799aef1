// image.load and image.save: the plugin's file boundary.
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>

#include "image_io.hpp"
#include "nodes.hpp"
#include "png_output.hpp"

namespace ng::image {
namespace {

NodeSpec load_spec() {
  NodeSpec spec("image.load", {1, 0});
  spec.display("Load image")
      .category("image")
      .describe("Reads a PNG or JPEG file into an IMAGE (one image, values in [0,1]) and its "
                "transparency into a MASK.")
      .output("image", type::Image)
      .describe("[1,C,H,W]; 8-bit files give exactly k/255")
      .output("mask", type::Mask)
      .describe("1 - alpha, so transparent pixels are marked for regeneration; all 0 when the "
                "file has no alpha channel")
      .path_param("path")
      .describe("image file; a relative path resolves against the graph file's folder")
      .enum_param("mode", {"auto", "grey", "rgb"}, "auto")
      .describe("auto: 1 channel for greyscale files, else 3; grey: BT.601 luma; rgb: 3 channels");
  spec.run([](NodeCall& call) {
    auto loaded = load_image(call.param_path("path"), parse_colour_mode(call.param_string("mode")));
    call.set("image", loaded.image);
    call.set("mask", loaded.mask);
  });
  return spec;
}

NodeSpec save_spec() {
  NodeSpec spec("image.save", {1, 0});
  spec.display("Save image")
      .category("image")
      .describe("Writes each image of the batch to <output folder>/<prefix>_<NNNNN>.png with the "
                "next free number. Files appear complete or not at all, and existing files are "
                "never replaced. The graph is embedded in the PNG (text chunk \"noisegraph\") so "
                "the editor can reopen it from the image.")
      .output_node()
      .input("image", type::Image)
      .write_path_param("filename_prefix", "noisegraph")
      .describe("file name start, relative to the output folder; may name subfolders (\"run1/cat\") but "
                "never leave the output folder")
      .param("embed_graph", true)
      .describe("store the graph YAML in the PNG");
  spec.run([](NodeCall& call) {
    Context& ctx = call.context();
    const std::string graph = call.param_bool("embed_graph") ? ctx.graph_yaml() : std::string();
    // Each file is reported as soon as it is complete, so a later failure or a Ctrl-C
    // still lists it; the batch stops between images when cancelled.
    save_png_batch(call.tensor("image"), ctx.output_dir(), call.param_string("filename_prefix"), kGraphTextKey,
                   graph, [&](const std::filesystem::path& p) {
                     ctx.report_file(p);  // the default logs "wrote <path>"
                     ctx.check_cancelled();
                   });
  });
  return spec;
}

}  // namespace

void register_io_nodes(Registrar& r) {
  r.add(load_spec());
  r.add(save_spec());
}

}  // namespace ng::image
