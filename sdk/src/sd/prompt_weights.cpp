// ComfyUI / A1111 emphasis syntax and weighted, chunked tokenization.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "noisegraph/sd/clip_tokenizer.hpp"

namespace ng::sd {

std::vector<PromptSegment> parse_prompt_weights(const std::string& p) {
  // Weights are kept per byte and scaled when a group closes, so nesting multiplies and an
  // unclosed opener can be put back as plain text at the end.
  std::string text;
  std::vector<double> w;
  struct Open {
    char kind;
    size_t at;
  };
  std::vector<Open> open;
  auto close = [&](double factor) {
    for (size_t k = open.back().at; k < w.size(); ++k) w[k] *= factor;
    open.pop_back();
  };
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size() && std::strchr("()[]\\", p[i + 1])) {
      text += p[++i];
      w.push_back(1.0);
      continue;
    }
    if (c == '(' || c == '[') {
      open.push_back({c, text.size()});
      continue;
    }
    if (c == ':' && !open.empty() && open.back().kind == '(') {
      size_t j = i + 1;
      while (j < p.size() && p[j] == ' ') ++j;
      const size_t start = j;
      if (j < p.size() && (p[j] == '+' || p[j] == '-')) ++j;
      while (j < p.size() && (std::isdigit(static_cast<unsigned char>(p[j])) || p[j] == '.')) ++j;
      const std::string number = p.substr(start, j - start);
      while (j < p.size() && p[j] == ' ') ++j;
      char* end = nullptr;
      const double f = number.empty() ? 0.0 : std::strtod(number.c_str(), &end);
      if (j < p.size() && p[j] == ')' && end && *end == '\0' && std::isfinite(f)) {
        close(f);
        i = j;
        continue;
      }
    }
    if ((c == ')' || c == ']') && !open.empty() && open.back().kind == (c == ')' ? '(' : '[')) {
      close(c == ')' ? 1.1 : 1.0 / 1.1);
      continue;
    }
    text += c;
    w.push_back(1.0);
  }
  // No closed group can enclose a still-open one, so the put-back openers weigh 1.
  for (auto it = open.rbegin(); it != open.rend(); ++it) {
    text.insert(it->at, 1, it->kind);
    w.insert(w.begin() + std::ptrdiff_t(it->at), 1.0);
  }
  std::vector<PromptSegment> out;
  for (size_t k = 0; k < text.size(); ++k) {
    if (out.empty() || w[k] != w[k - 1]) out.push_back({"", w[k]});
    out.back().text += text[k];
  }
  return out;
}

std::vector<WeightedChunk> ClipTokenizer::tokenize_weighted(const std::string& prompt, int64_t pad_id) const {
  std::vector<int64_t> ids;
  std::vector<float> ws;
  for (const auto& seg : parse_prompt_weights(prompt)) {
    auto e = encode(seg.text);
    ids.insert(ids.end(), e.begin(), e.end());
    ws.insert(ws.end(), e.size(), float(seg.weight));
  }
  std::vector<WeightedChunk> chunks;
  for (size_t at = 0; at < ids.size() || chunks.empty(); at += size_t(kChunkTokens)) {
    const size_t n = std::min(size_t(kChunkTokens), ids.size() - at);
    WeightedChunk c;
    c.ids.push_back(bos_id());
    c.ids.insert(c.ids.end(), ids.begin() + std::ptrdiff_t(at), ids.begin() + std::ptrdiff_t(at + n));
    c.ids.push_back(eos_id());
    c.ids.resize(size_t(kContext), pad_id);
    c.weights.push_back(1.0f);
    c.weights.insert(c.weights.end(), ws.begin() + std::ptrdiff_t(at), ws.begin() + std::ptrdiff_t(at + n));
    c.weights.resize(size_t(kContext), 1.0f);
    chunks.push_back(std::move(c));
  }
  return chunks;
}

}  // namespace ng::sd
