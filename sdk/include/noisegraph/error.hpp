#pragma once
/// @file error.hpp
/// Exceptions a node may throw. Any exception is fine: the SDK catches everything at the
/// plugin boundary and reports it with the node id. These two carry extra meaning.
#include <stdexcept>
#include <string>

#include "noisegraph/export.hpp"

namespace ng {

/// A user-facing error: bad input, missing file, wrong model. Its message is shown as is,
/// so say what was expected and what was found.
class NG_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  ~Error() override;
};

/// Thrown by Context::check_cancelled() when the user asked to stop. Let it propagate;
/// the host reports the run as cancelled rather than failed.
class NG_API Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
  ~Cancelled() override;
};

}  // namespace ng
