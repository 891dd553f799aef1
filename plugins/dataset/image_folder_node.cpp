// dataset.image_folder: labelled PNGs (<folder>/<label>/*.png) as an IMAGE batch, the same
// layout the train.* nodes read with their data_folder parameter.
#include <noisegraph/error.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>
#include <noisegraph/train/dataset.hpp>

#include "select.hpp"

namespace ng::dataset {

void register_image_folder_node(Registrar& r) {
  NodeSpec spec("dataset.image_folder", {1, 0});
  spec.display("Labelled image folder")
      .category("data")
      .describe("Reads 28x28 PNG images from label folders 0..9 (<folder>/3/dress1.png is a class-3 image) "
                "as IMAGE [B,1,32,32] in [0,1] with a 2-pixel black border, like dataset.fashion_mnist. "
                "Colour images are converted to grey.")
      .output("images", type::Image)
      .output("labels", type::String)
      .describe("the class index of each image, comma-separated")
      .path_param("folder", "")
      .folder()
      .describe("the folder holding the label folders")
      .param("class", -1)
      .range(-1, 9)
      .describe("only images of this class; -1 = all")
      .param("start", 0)
      .range(0, 10000000)
      .describe("skip this many matching images (in label, file name order)")
      .param("count", 0)
      .range(0, 10000000)
      .describe("number of images; 0 = all that match");
  spec.run([](NodeCall& call) {
    if (call.param_string("folder").empty()) throw Error("parameter 'folder' is empty: name the image folder");
    auto data = train::load_image_folder(call.param_path("folder"));
    set_selected_examples(call, data, call.param_int("class"), call.param_int("start"), call.param_int("count"));
  });
  r.add(std::move(spec));
}

}  // namespace ng::dataset
