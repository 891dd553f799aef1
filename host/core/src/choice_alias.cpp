#include "choice_alias.hpp"

#include <cctype>

namespace ng::host {

namespace {

// Lower case, "++" -> "pp", no separators: "DPM++ 2M" and "dpmpp_2m" both become "dpmpp2m".
std::string squash(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = char(std::tolower((unsigned char)s[i]));
    if (c == '+') out += 'p';
    else if (std::isalnum((unsigned char)c)) out += c;
  }
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The typed word with tool-specific decorations removed, in squashed form.
std::string normalised(std::string word) {
  for (auto& c : word) c = char(std::tolower((unsigned char)c));
  for (const char* prefix : {"k_", "k-", "sample_"})
    if (starts_with(word, prefix)) word = word.substr(std::string(prefix).size());
  // "euler_a" / "euler a" / "Euler A": ancestral.
  const std::size_t n = word.size();
  if (n > 2 && word[n - 1] == 'a' && (word[n - 2] == '_' || word[n - 2] == ' ' || word[n - 2] == '-'))
    word = word.substr(0, n - 2) + "_ancestral";
  return squash(word);
}

}  // namespace

std::string choice_alias_hint(const std::string& typed, const std::vector<std::string>& choices) {
  const std::string want = normalised(typed);
  if (want.empty()) return {};
  for (const auto& c : choices)
    if (squash(c) == want && c != typed) return "'" + typed + "' is called '" + c + "' here";
  // "dpmpp_2m_karras": a choice, a separator, then a schedule name.
  const std::size_t cut = typed.find_last_of("_ -");
  if (cut == std::string::npos || cut == 0 || cut + 1 == typed.size()) return {};
  const std::string head = normalised(typed.substr(0, cut)), tail = typed.substr(cut + 1);
  for (char ch : tail)
    if (!std::isalpha((unsigned char)ch)) return {};
  for (const auto& c : choices)
    if (squash(c) == head)
      return "'" + typed + "' is '" + c + "' here, with the '" + tail +
             "' schedule chosen separately (a 'scheduler' parameter or a schedule node)";
  return {};
}

}  // namespace ng::host
