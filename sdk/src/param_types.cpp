// The parameter kind table: names, text form, parsing and range checks (param_types.hpp).
#include "noisegraph/param_types.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace ng {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string choices_text(const std::vector<std::string>& items) {
  constexpr std::size_t kMax = 50;
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kMax; ++i) out += (i ? ", '" : "'") + items[i] + "'";
  if (items.size() > kMax) out += ", ... (" + std::to_string(items.size() - kMax) + " more)";
  return out;
}

template <class T>
bool parse_number(const std::string& text, T& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (b != e && *b == '+') ++b;
  if constexpr (std::is_unsigned_v<T>)
    if (b != e && *b == '-') return false;  // from_chars would not wrap, but say so plainly
  const auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && b != e;
}

ParamParse failed(std::string code, std::string message) { return ParamParse{std::nullopt, std::move(code), std::move(message)}; }

std::string range_text(const ParamSpec& spec) {
  if (spec.min && spec.max) return "between " + number(*spec.min) + " and " + number(*spec.max);
  if (spec.min) return ">= " + number(*spec.min);
  return "<= " + number(*spec.max);
}

bool in_range(const ParamSpec& spec, double v) { return !((spec.min && v < *spec.min) || (spec.max && v > *spec.max)); }

ParamParse out_of_range(const ParamSpec& spec, const std::string& found) {
  return failed("param_out_of_range", "parameter '" + spec.name + "' must be " + range_text(spec) + ", found " + found);
}

}  // namespace

const char* kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::Int: return "INT";
    case ParamKind::Float: return "FLOAT";
    case ParamKind::Bool: return "BOOL";
    case ParamKind::String: return "STRING";
    case ParamKind::Enum: return "ENUM";
    case ParamKind::Seed: return "SEED";
    case ParamKind::Path: return "PATH";
  }
  return "?";
}

const char* kind_phrase(ParamKind kind) {
  switch (kind) {
    case ParamKind::Int: return "an integer";
    case ParamKind::Float: return "a number";
    case ParamKind::Bool: return "true or false";
    case ParamKind::String: return "a string";
    case ParamKind::Enum: return "one of the choices";
    case ParamKind::Seed: return "a seed (an integer from 0 to 18446744073709551615)";
    case ParamKind::Path: return "a file path";
  }
  return "a value";
}

std::size_t value_index(ParamKind kind) {
  switch (kind) {
    case ParamKind::Int: return 0;
    case ParamKind::Float: return 1;
    case ParamKind::Bool: return 2;
    case ParamKind::Seed: return 4;
    case ParamKind::String:
    case ParamKind::Enum:
    case ParamKind::Path: return 3;
  }
  return 3;
}

ParamParse parse_param_text(const ParamSpec& spec, const std::string& text, bool null) {
  const std::string found = null ? std::string("nothing") : "'" + text + "'";
  auto wrong_type = [&] {
    return failed("param_type", "parameter '" + spec.name + "' expects " + kind_phrase(spec.kind) + ", found " + found);
  };
  switch (spec.kind) {
    case ParamKind::Int: {
      int64_t v = 0;
      if (null || !parse_number(text, v)) return wrong_type();
      if (!in_range(spec, double(v))) return out_of_range(spec, std::to_string(v));
      return {ParamValue(v), {}, {}};
    }
    case ParamKind::Seed: {
      uint64_t v = 0;
      if (int64_t negative = 0; !null && parse_number(text, negative) && negative < 0)
        return failed("param_out_of_range", "parameter '" + spec.name + "' must be between 0 and 18446744073709551615, found " + text);
      if (null || !parse_number(text, v)) return wrong_type();
      if (!in_range(spec, double(v))) return out_of_range(spec, std::to_string(v));
      return {ParamValue(v), {}, {}};
    }
    case ParamKind::Float: {
      double v = 0;
      if (null || !parse_number(text, v) || !std::isfinite(v)) return wrong_type();
      if (!in_range(spec, v)) return out_of_range(spec, text);
      return {ParamValue(v), {}, {}};
    }
    case ParamKind::Bool:
      if (!null && (text == "true" || text == "True" || text == "TRUE")) return {ParamValue(true), {}, {}};
      if (!null && (text == "false" || text == "False" || text == "FALSE")) return {ParamValue(false), {}, {}};
      return wrong_type();
    case ParamKind::Enum:
      if (null || std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end())
        return failed("param_not_in_choices",
                      "parameter '" + spec.name + "' must be one of " + choices_text(spec.choices) + ", found " + found);
      return {ParamValue(text), {}, {}};
    case ParamKind::String:
    case ParamKind::Path: return {ParamValue(text), {}, {}};
  }
  return failed("param_type", "parameter '" + spec.name + "' has an unknown kind");
}

ParamParse check_param_value(const ParamSpec& spec, const ParamValue& value) {
  ParamValue v = value;
  // Numbers from JSON or a spin box arrive as int64: widen where the kind allows it.
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (spec.kind == ParamKind::Float) v = double(*i);
    if (spec.kind == ParamKind::Seed && *i >= 0) v = uint64_t(*i);
  }
  if (v.index() != value_index(spec.kind))
    return failed("param_type", "parameter '" + spec.name + "' expects " + kind_phrase(spec.kind) + ", found '" +
                                    param_text(value) + "'");
  switch (spec.kind) {
    case ParamKind::Int:
    case ParamKind::Seed:
    case ParamKind::Float: {
      const double d = spec.kind == ParamKind::Int    ? double(std::get<int64_t>(v))
                       : spec.kind == ParamKind::Seed ? double(std::get<uint64_t>(v))
                                                      : std::get<double>(v);
      if (!std::isfinite(d))
        return failed("param_type", "parameter '" + spec.name + "' expects a finite number, found " + param_text(v));
      if (!in_range(spec, d)) return out_of_range(spec, param_text(v));
      break;
    }
    case ParamKind::Enum:
      if (std::find(spec.choices.begin(), spec.choices.end(), std::get<std::string>(v)) == spec.choices.end())
        return failed("param_not_in_choices", "parameter '" + spec.name + "' must be one of " + choices_text(spec.choices) +
                                                  ", found '" + std::get<std::string>(v) + "'");
      break;
    default: break;
  }
  return {std::move(v), {}, {}};
}

std::string param_text(const ParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* u = std::get_if<uint64_t>(&value)) return std::to_string(*u);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&value)) {
    if (std::isnan(*d)) return ".nan";
    if (std::isinf(*d)) return *d > 0 ? ".inf" : "-.inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, *d);
    std::string s(buf, res.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // "3" would read back as an integer
    return s;
  }
  return std::get<std::string>(value);
}

}  // namespace ng
