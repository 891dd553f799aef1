#pragma once
// IMAGE tensors ([B,C,H,W] floats in [0,1]) as QImages for previews.
#include <QImage>

#include <cstdint>

namespace at {
class Tensor;
}

namespace ng::editor {

/// Columns of the grid a batch of `batch` images is shown in: ceil(sqrt(batch)).
int64_t grid_columns(int64_t batch);

/// Converts an IMAGE tensor to an RGB image. A batch is laid out as a grid of
/// grid_columns() columns, row by row, with a small gap; C = 1 is grey, C = 3 is RGB,
/// other channel counts show the first channel.
/// Values are clamped to [0,1]. Returns a null image for an undefined tensor or one that
/// is not 3- or 4-dimensional.
QImage tensor_to_image(const at::Tensor& image);

}  // namespace ng::editor
