#pragma once
// Spellings of enum choices that other diffusion tools use ("euler_a", "k_euler",
// "dpm++2m", "dpmpp_2m_karras"), mapped to ours for validation hints.
#include <string>
#include <vector>

namespace ng::host {

/// A hint naming the choice that `typed` is another spelling of, or "" when it is none.
/// Recognises case, a "k_" or "sample_" prefix, "++" for "pp", spaces, dashes and missing
/// underscores, "_a" for "_ancestral", and a trailing schedule name ("dpmpp_2m_karras":
/// choose the schedule separately).
std::string choice_alias_hint(const std::string& typed, const std::vector<std::string>& choices);

}  // namespace ng::host
