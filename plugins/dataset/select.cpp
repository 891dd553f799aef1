#include "select.hpp"

#include <ATen/ATen.h>
#include <noisegraph/error.hpp>

#include <algorithm>
#include <string>

namespace ng::dataset {

void set_selected_examples(NodeCall& call, const train::ImageDataset& data, int64_t cls, int64_t start,
                           int64_t count) {
  at::Tensor idx = cls >= 0 ? (data.labels == cls).nonzero().view({-1}) : at::arange(data.size());
  if (count == 0) count = idx.size(0) - start;
  if (count <= 0 || start + count > idx.size(0))
    throw Error("asked for images " + std::to_string(start) + ".." +
                std::to_string(start + std::max<int64_t>(count, 1) - 1) + " but only " +
                std::to_string(idx.size(0)) + " match");
  idx = idx.narrow(0, start, count);
  std::string labels;
  auto l = data.labels.index_select(0, idx);
  for (int64_t i = 0; i < count; ++i) labels += (i ? "," : "") + std::to_string(l[i].item<int64_t>());
  call.set("images", train::to_images(data, idx));
  call.set("labels", labels);
}

}  // namespace ng::dataset
