#pragma once
/// @file memory_estimate.hpp
/// Refusing a node whose parameters ask for more memory than the machine has, before it
/// runs, with a message that says how much ("needs about 9.4 GB, 6.1 GB available")
/// instead of dying in the allocator or swapping for minutes.
///
/// The estimate is deliberately a lower bound read from the conventional parameter names
/// nodes use for sizes: `width` x `height` pixels, times `batch` or `batch_size` images,
/// times `channels` (3 when the node has none), as float32. Whatever the node computes
/// from such an image needs at least that much; nodes without width and height get no
/// estimate (0).
#include <cstdint>
#include <map>
#include <string>

#include <noisegraph/node.hpp>

namespace ng::host {

struct MemoryEstimate {
  uint64_t bytes = 0;   ///< 0 = nothing to estimate
  std::string basis;    ///< "width 100000 x height 100000 x batch 4 x 3 channels x 4 bytes"
};

MemoryEstimate estimate_node_memory(const ng::NodeSpec& spec, const std::map<std::string, ng::ParamValue>& params);

/// MemAvailable of /proc/meminfo in bytes; 0 when unknown.
uint64_t available_memory();

/// "9.4 GB", "512 MB".
std::string human_bytes(uint64_t bytes);

}  // namespace ng::host
