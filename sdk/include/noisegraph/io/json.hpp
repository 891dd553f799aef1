#pragma once
/// @file json.hpp
/// A small strict JSON value, parser and writer (RFC 8259). Used for safetensors headers
/// and for the model configs stored in their metadata, so it is built to read untrusted
/// input: it never crashes, limits nesting depth, rejects duplicate object keys, invalid
/// escapes, control characters in strings, trailing garbage, NaN/Infinity and leading
/// zeros, and reports the byte offset of the first problem.
///
/// Numbers keep their exact integer value when the text is an integer that fits in int64
/// (safetensors offsets must not round through double).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::json {

class Value;
using Array = std::vector<Value>;
/// Objects keep insertion order (written back in the same order).
using Object = std::vector<std::pair<std::string, Value>>;

class NG_API Value {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : data_(b) {}
  Value(int v) : data_(Number{double(v), v, true}) {}
  Value(int64_t v) : data_(Number{double(v), v, true}) {}
  Value(double v);
  Value(const char* s) : data_(std::string(s)) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(Array a) : data_(std::move(a)) {}
  Value(Object o) : data_(std::move(o)) {}

  Kind kind() const { return Kind(data_.index()); }
  bool is_null() const { return kind() == Kind::Null; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_number() const { return kind() == Kind::Number; }
  /// True for numbers written as integers that fit in int64.
  bool is_integer() const;
  bool is_string() const { return kind() == Kind::String; }
  bool is_array() const { return kind() == Kind::Array; }
  bool is_object() const { return kind() == Kind::Object; }

  /// Typed access; each throws ng::Error naming `what` and the found kind on mismatch.
  bool as_bool(const std::string& what = "value") const;
  double as_double(const std::string& what = "value") const;
  int64_t as_int(const std::string& what = "value") const;
  const std::string& as_string(const std::string& what = "value") const;
  const Array& as_array(const std::string& what = "value") const;
  const Object& as_object(const std::string& what = "value") const;
  Array& as_array(const std::string& what = "value");
  Object& as_object(const std::string& what = "value");

  /// Object member lookup; nullptr when absent (or when this is not an object).
  const Value* find(std::string_view key) const;
  /// Object member that must exist; throws ng::Error "missing key".
  const Value& at(std::string_view key) const;
  /// Sets (or replaces) an object member; turns a null value into an object.
  Value& set(std::string key, Value v);

  static const char* kind_name(Kind k);

 private:
  struct Number {
    double d = 0;
    int64_t i = 0;
    bool integer = false;
  };
  friend class Parser;
  std::variant<std::nullptr_t, bool, Number, std::string, Array, Object> data_;
};

/// Parses a complete JSON text. Throws ng::Error("<what>: invalid JSON at byte N: ...").
NG_API Value parse(std::string_view text, const std::string& what = "JSON");

/// Compact JSON text (no spaces), or indented with two spaces when `pretty`.
NG_API std::string dump(const Value& v, bool pretty = false);

}  // namespace ng::json
