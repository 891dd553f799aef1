// dataset.fashion_mnist: real images as an IMAGE batch (reference sets, img2img inputs).
#include <noisegraph/error.hpp>
#include <noisegraph/node.hpp>
#include <noisegraph/registrar.hpp>
#include <noisegraph/train/dataset.hpp>

#include "select.hpp"

namespace ng::dataset {

void register_fashion_mnist_node(Registrar& r) {
  NodeSpec spec("dataset.fashion_mnist", {1, 0});
  spec.display("Fashion-MNIST images")
      .category("data")
      .describe("Reads images of the Fashion-MNIST training or test set as IMAGE [B,1,32,32] in [0,1] "
                "(28x28 centred with a 2-pixel black border), optionally of one class only.")
      .output("images", type::Image)
      .output("labels", type::String)
      .describe("the class index of each image, comma-separated")
      .enum_param("split", {"test", "train"}, "test")
      .param("start", 0)
      .range(0, 60000)
      .describe("skip this many matching images")
      .param("count", 16)
      .range(1, 60000)
      .param("class", -1)
      .range(-1, 9)
      .describe("only images of this class (0 T-shirt/top ... 9 Ankle boot); -1 = all")
      .path_param("data_dir", "")
      .folder()
      .describe("folder of the IDX files; empty = the system's Fashion-MNIST");
  spec.run([](NodeCall& call) {
    const std::string dir = call.param_string("data_dir");
    auto data = train::load_fashion_mnist(dir.empty() ? std::filesystem::path() : call.param_path("data_dir"),
                                          call.param_string("split") == "train" ? "train" : "t10k");
    set_selected_examples(call, data, call.param_int("class"), call.param_int("start"), call.param_int("count"));
  });
  r.add(std::move(spec));
}

}  // namespace ng::dataset
