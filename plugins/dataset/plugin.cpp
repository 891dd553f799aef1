#include <noisegraph/plugin.hpp>

namespace ng::dataset {
void register_fashion_mnist_node(ng::Registrar& r);  // dataset.fashion_mnist (fashion_mnist_node.cpp)
void register_image_folder_node(ng::Registrar& r);   // dataset.image_folder (image_folder_node.cpp)
}

namespace {
void register_dataset_plugin(ng::Registrar& r) {
  ng::dataset::register_fashion_mnist_node(r);
  ng::dataset::register_image_folder_node(r);
}
}  // namespace

NOISEGRAPH_PLUGIN(register_dataset_plugin)
