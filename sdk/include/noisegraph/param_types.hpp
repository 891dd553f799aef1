#pragma once
/// @file param_types.hpp
/// The one table of parameter kinds: their names, how a value is written as text and how
/// text is read back. The graph loader, the CLI (`--set`, graph inputs), the server and
/// the editor all read parameter text through parse_param_text(), so a seed, a prompt or
/// a step count is parsed once, the same way everywhere.
#include <optional>
#include <string>

#include "noisegraph/export.hpp"
#include "noisegraph/node.hpp"

namespace ng {

/// Upper-case name of a kind as the CLI and the docs show it: INT, FLOAT, BOOL, STRING,
/// ENUM, SEED, PATH.
NG_API const char* kind_name(ParamKind kind);

/// What a value of `kind` looks like, for messages: "an integer", "a number", ...
NG_API const char* kind_phrase(ParamKind kind);

/// The C++ alternative of ParamValue that `kind` holds (index into the variant).
NG_API std::size_t value_index(ParamKind kind);

/// Outcome of reading one parameter value. On failure `value` is empty and `code` is one
/// of param_type, param_out_of_range, param_not_in_choices, with a one-line `message`
/// naming the parameter, what it expects and what was found.
struct ParamParse {
  std::optional<ParamValue> value;
  std::string code;
  std::string message;
};

/// Reads `text` as `spec`'s kind and checks its range and choices. `null` = the value was
/// written as nothing (YAML `~`); it reads as "" for String/Path and fails otherwise.
/// Int: decimal int64; Seed: decimal 0..2^64-1; Float: any finite number; Bool:
/// true/false (also True/TRUE/False/FALSE); Enum: one of the choices; String/Path: any.
NG_API ParamParse parse_param_text(const ParamSpec& spec, const std::string& text, bool null = false);

/// Checks a typed value (from an editor widget or a JSON number) against `spec`: right
/// alternative for the kind (an Int value is accepted for Float and, when >= 0, for Seed,
/// and converted), range and choices.
NG_API ParamParse check_param_value(const ParamSpec& spec, const ParamValue& value);

/// The canonical text of a value: integers in decimal, floats in the shortest form that
/// reads back exactly (always with a '.' or an exponent, so they stay floats), bools as
/// true/false, strings as they are.
NG_API std::string param_text(const ParamValue& value);

}  // namespace ng
