#pragma once
// Picking examples out of a labelled image set, shared by the dataset.* nodes.
#include <noisegraph/node.hpp>
#include <noisegraph/train/dataset.hpp>

namespace ng::dataset {

/// Sets the node's `images` (IMAGE [B,1,32,32]) and `labels` (comma-separated class
/// indices) outputs to the matching examples start .. start+count-1 of `data`, where the
/// matching examples are those of class `cls` (all if cls < 0); count 0 = all from start.
/// Throws ng::Error when fewer examples match.
void set_selected_examples(NodeCall& call, const train::ImageDataset& data, int64_t cls, int64_t start,
                           int64_t count);

}  // namespace ng::dataset
