#pragma once
// The message of the ng::Error that `f` throws, or "" when it throws none: tests assert on
// what a user would read.
#include <functional>
#include <string>

#include <noisegraph/error.hpp>

namespace ng_test {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ng::Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace ng_test
