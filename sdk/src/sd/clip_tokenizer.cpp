// CLIP byte-level BPE (OpenAI SimpleTokenizer semantics): loading, text cleaning,
// pre-tokenising, merging.
#include "noisegraph/sd/clip_tokenizer.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <locale.h>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <wctype.h>
#include <zlib.h>

#include "noisegraph/error.hpp"

namespace ng::sd {

struct ClipTokenizer::Tables {
  std::string byte_char[256];
  std::unordered_map<std::string, int64_t> vocab;
  std::unordered_map<std::string, int> ranks;  // "a b" -> rank
  std::vector<std::pair<std::string, std::string>> merges;
  int64_t bos = kBos, eos = kEos, size = 0;
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int64_t>> cache;
};

namespace {

using Tables = ClipTokenizer::Tables;

void append_utf8(std::string& out, char32_t c) {
  const int n = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
  static const unsigned char lead[] = {0x00, 0xC0, 0xE0, 0xF0};
  out += char(lead[n] | (c >> (6 * n)));
  for (int k = n - 1; k >= 0; --k) out += char(0x80 | ((c >> (6 * k)) & 0x3F));
}

// Strict decoder: overlong forms, surrogates and stray bytes become U+FFFD one byte at a time.
std::u32string decode_utf8(const std::string& s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = s[i];
    int n = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
    char32_t c = n == 0 ? b : n == 1 ? (b & 0x1F) : n == 2 ? (b & 0x0F) : (b & 0x07);
    bool ok = n >= 0 && i + n < s.size();
    for (int k = 1; ok && k <= n; ++k) {
      unsigned char t = s[i + k];
      ok = (t & 0xC0) == 0x80;
      c = (c << 6) | (t & 0x3F);
    }
    static const char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (ok && n > 0) ok = c >= min_for[n] && c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF);
    out += ok ? c : U'\uFFFD';
    i += ok ? n + 1 : 1;
  }
  return out;
}

std::string encode_utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

locale_t utf8_locale() {
  static const locale_t loc = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"})
      if (locale_t l = newlocale(LC_CTYPE_MASK, name, locale_t(0))) return l;
    return locale_t(0);
  }();
  return loc;
}

// glibc only calls ASCII 0-9 "digit" (other scripts' digits are "alpha"), so \p{N} needs a table.
bool is_number(char32_t c) {
  static const char32_t ranges[][2] = {
      {0x30, 0x39},     {0xB2, 0xB3},     {0xB9, 0xB9},     {0xBC, 0xBE},     {0x660, 0x669},
      {0x6F0, 0x6F9},   {0x7C0, 0x7C9},   {0x966, 0x96F},   {0x9E6, 0x9EF},   {0xA66, 0xA6F},
      {0xAE6, 0xAEF},   {0xB66, 0xB6F},   {0xBE6, 0xBF2},   {0xC66, 0xC6F},   {0xCE6, 0xCEF},
      {0xD66, 0xD78},   {0xE50, 0xE59},   {0xED0, 0xED9},   {0xF20, 0xF33},   {0x1040, 0x1049},
      {0x17E0, 0x17E9}, {0x1810, 0x1819}, {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089},
      {0x2150, 0x2182}, {0x2185, 0x2189}, {0x2460, 0x249B}, {0x24EA, 0x24FF}, {0x2776, 0x2793},
      {0x3007, 0x3007}, {0x3021, 0x3029}, {0x3038, 0x303A}, {0x3192, 0x3195}, {0x3220, 0x3229},
      {0x3248, 0x324F}, {0x3251, 0x325F}, {0x3280, 0x3289}, {0x32B1, 0x32BF}, {0xFF10, 0xFF19}};
  for (const auto& r : ranges)
    if (c >= r[0] && c <= r[1]) return true;
  return false;
}

bool is_space(char32_t c) {
  // Python's str.isspace also counts these; glibc's "space" class does not.
  if (c == 0xA0 || c == 0x2007 || c == 0x202F || c == 0x85 || (c >= 0x1C && c <= 0x1F)) return true;
  if (c < 0x80 || !utf8_locale()) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return iswspace_l(wint_t(c), utf8_locale());
}

bool is_letter(char32_t c) {
  if (c < 0x80 || !utf8_locale()) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return !is_number(c) && iswalpha_l(wint_t(c), utf8_locale());
}

char32_t to_lower(char32_t c) {
  if (c < 0x80 || !utf8_locale()) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  return char32_t(towlower_l(wint_t(c), utf8_locale()));
}

// One pass of html.unescape for the entities documented in the header.
std::u32string html_unescape(const std::u32string& s) {
  static const std::pair<std::u32string, char32_t> named[] = {
      {U"amp", U'&'}, {U"lt", U'<'}, {U"gt", U'>'}, {U"quot", U'"'}, {U"apos", U'\''}, {U"nbsp", 0xA0}};
  std::u32string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != U'&') {
      out += s[i];
      continue;
    }
    size_t j = i + 1;
    if (j < s.size() && s[j] == U'#') {
      bool hex = j + 1 < s.size() && (s[j + 1] == U'x' || s[j + 1] == U'X');
      size_t k = j + 1 + hex, start = k;
      uint64_t v = 0;
      for (; k < s.size(); ++k) {
        char32_t d = s[k] | 0x20;
        int digit = s[k] >= U'0' && s[k] <= U'9' ? int(s[k] - U'0') : hex && d >= U'a' && d <= U'f' ? int(d - U'a' + 10) : -1;
        if (digit < 0) break;
        v = std::min<uint64_t>(v * (hex ? 16 : 10) + digit, 0x110000);
      }
      if (k > start) {
        bool bad = v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF);
        out += bad ? U'\uFFFD' : char32_t(v);
        i = (k < s.size() && s[k] == U';') ? k : k - 1;
        continue;
      }
    }
    bool done = false;
    for (const auto& [name, ch] : named) {
      if (s.compare(j, name.size(), name) != 0) continue;
      bool semi = j + name.size() < s.size() && s[j + name.size()] == U';';
      if (!semi && name == U"apos") continue;  // html5 lists the others without ';' too
      out += ch;
      i = j + name.size() - !semi;
      done = true;
      break;
    }
    if (!done) out += U'&';
  }
  return out;
}

std::u32string clean(const std::string& text) {
  std::u32string s = html_unescape(html_unescape(decode_utf8(text)));
  std::u32string out;
  for (char32_t c : s) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != U' ') out += U' ';
    } else {
      out += to_lower(c);
    }
  }
  if (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

// The reference regex, alternative by alternative, in its order of preference.
std::vector<std::u32string> pre_tokenize(const std::u32string& s) {
  static const std::u32string specials[] = {U"<|startoftext|>", U"<|endoftext|>"};
  static const std::u32string contractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  std::vector<std::u32string> out;
  size_t i = 0;
  auto match = [&](const std::u32string& lit) { return s.compare(i, lit.size(), lit) == 0; };
  while (i < s.size()) {
    size_t len = 0;
    for (const auto& lit : specials) len = len ? len : match(lit) ? lit.size() : 0;
    for (const auto& lit : contractions) len = len ? len : match(lit) ? lit.size() : 0;
    if (len == 0) {
      char32_t c = s[i];
      if (is_space(c)) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      if (is_letter(c)) {
        while (j < s.size() && is_letter(s[j])) ++j;
      } else if (!is_number(c)) {
        while (j < s.size() && !is_space(s[j]) && !is_letter(s[j]) && !is_number(s[j])) ++j;
      }
      len = j - i;
    }
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::vector<int64_t> bpe(const Tables& t, const std::string& word) {
  std::vector<std::string> sym;
  for (unsigned char b : word) sym.push_back(t.byte_char[b]);
  if (sym.empty()) return {};
  sym.back() += "</w>";
  while (sym.size() > 1) {
    int best = std::numeric_limits<int>::max();
    size_t at = 0;
    for (size_t i = 0; i + 1 < sym.size(); ++i) {
      auto it = t.ranks.find(sym[i] + ' ' + sym[i + 1]);
      if (it != t.ranks.end() && it->second < best) best = it->second, at = i;
    }
    if (best == std::numeric_limits<int>::max()) break;
    // Merge every non-overlapping occurrence left to right, as the reference does.
    const std::string a = sym[at], b = sym[at + 1];
    std::vector<std::string> next;
    for (size_t i = 0; i < sym.size(); ++i) {
      if (i + 1 < sym.size() && sym[i] == a && sym[i + 1] == b) {
        next.push_back(a + b);
        ++i;
      } else {
        next.push_back(sym[i]);
      }
    }
    sym.swap(next);
  }
  std::vector<int64_t> ids;
  for (const auto& s : sym) ids.push_back(t.vocab.at(s));  // load-time check guarantees presence
  return ids;
}

// The printable stand-ins for bytes, in the reference's vocabulary order.
std::vector<std::pair<unsigned char, char32_t>> byte_table() {
  std::vector<std::pair<unsigned char, char32_t>> table;
  auto visible = [](int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); };
  for (int b = 0; b < 256; ++b)
    if (visible(b)) table.emplace_back(b, b);
  char32_t next = 256;
  for (int b = 0; b < 256; ++b)
    if (!visible(b)) table.emplace_back(b, next++);
  return table;
}

std::shared_ptr<Tables> new_tables() {
  auto t = std::make_shared<Tables>();
  for (const auto& [b, c] : byte_table()) {
    t->byte_char[b].clear();
    append_utf8(t->byte_char[b], c);
  }
  return t;
}

// Parses merge lines (header lines starting with '#' skipped); stops after `limit` merges.
void add_merges(Tables& t, std::istream& in, const std::string& file, int64_t limit) {
  std::string line;
  int64_t line_no = 0;
  while ((limit < 0 || int64_t(t.merges.size()) < limit) && std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.find("#version") != std::string::npos)) continue;
    size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string::npos || sp + 1 == line.size() || line.find(' ', sp + 1) != std::string::npos)
      throw Error(file + ":" + std::to_string(line_no) + ": expected a merge \"a b\", found \"" + line + "\"");
    t.ranks[line] = int(t.merges.size());  // a repeated merge takes its last rank, as in the reference's dict
    t.merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
}

// vocab.json holds ~50k entries and ng::json's duplicate-key scan is quadratic (seconds),
// so this flat {"token": id, ...} object gets its own linear reader.
std::unordered_map<std::string, int64_t> read_vocab_json(const std::string& s, const std::string& file) {
  size_t i = 0;
  auto fail = [&](const std::string& what) { throw Error(file + ": " + what + " at byte " + std::to_string(i)); };
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  };
  auto expect = [&](char c) {
    ws();
    if (i >= s.size() || s[i] != c) fail(std::string("expected '") + c + "'");
    ++i;
  };
  auto hex4 = [&] {
    std::string h = s.substr(i, 4);
    if (h.size() != 4 || !std::all_of(h.begin(), h.end(), [](char c) { return std::isxdigit((unsigned char)c); }))
      fail("invalid \\u escape");
    i += 4;
    return char32_t(std::stoul(h, nullptr, 16));
  };
  auto string = [&] {
    expect('"');
    std::string out;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    while (i < s.size() && s[i] != '"') {
      if (s[i] != '\\') {
        out += s[i++];
      } else if (i + 1 < s.size() && s[i + 1] && std::strchr(from, s[i + 1])) {
        out += to[std::strchr(from, s[i + 1]) - from];
        i += 2;
      } else if (i + 1 < s.size() && s[i + 1] == 'u') {
        i += 2;
        char32_t cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00 && s.compare(i, 2, "\\u") == 0) {
          i += 2;
          const char32_t lo = hex4();
          if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid surrogate pair");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        append_utf8(out, cp);
      } else {
        fail("invalid escape");
      }
    }
    expect('"');
    return out;
  };
  std::unordered_map<std::string, int64_t> vocab;
  expect('{');
  do {
    std::string key = string();
    expect(':');
    ws();
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start || i - start > 15) fail("expected a non-negative integer id for \"" + key + "\"");
    if (!vocab.emplace(key, std::stoll(s.substr(start, i - start))).second) fail("duplicate token \"" + key + "\"");
    ws();
  } while (i < s.size() && s[i] == ',' && ++i);
  expect('}');
  ws();
  if (i != s.size()) fail("unexpected text after the object");
  return vocab;
}

void check_vocab(Tables& t, const std::string& file) {
  auto need = [&](const std::string& tok) {
    if (!t.vocab.count(tok)) throw Error(file + ": vocabulary lacks the token \"" + tok + "\"");
  };
  for (const auto& s : t.byte_char) need(s), need(s + "</w>");
  for (const auto& [a, b] : t.merges) need(a + b);
  for (const auto& [tok, id] : t.vocab) t.size = std::max(t.size, id + 1);
}

}  // namespace

ClipTokenizer ClipTokenizer::from_bpe_gz(const std::filesystem::path& path, int64_t merges) {
  const std::string file = path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(file + ": no such file (CLIP BPE vocabulary)");
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) throw Error(file + ": cannot open");
  std::string text;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) text.append(buf, size_t(got));
  int err = Z_OK;
  gzerror(f, &err);
  gzclose(f);
  if (got < 0 || err != Z_OK) throw Error(file + ": truncated or corrupt gzip data");
  auto t = new_tables();
  std::istringstream in(text);
  add_merges(*t, in, file, merges);
  if (int64_t(t->merges.size()) < merges)
    throw Error(file + ": has " + std::to_string(t->merges.size()) + " merges, expected at least " +
                std::to_string(merges) + " (truncated?)");
  int64_t id = 0;
  for (const char* suffix : {"", "</w>"})
    for (const auto& [b, c] : byte_table()) t->vocab[t->byte_char[b] + suffix] = id++;
  for (const auto& [a, b] : t->merges) t->vocab[a + b] = id++;
  t->bos = t->vocab["<|startoftext|>"] = id++;
  t->eos = t->vocab["<|endoftext|>"] = id++;
  check_vocab(*t, file);
  return ClipTokenizer(t);
}

ClipTokenizer ClipTokenizer::from_folder(const std::filesystem::path& dir) {
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw Error(p.string() + ": no such file (CLIP tokenizer folder)");
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto t = new_tables();
  const std::string vocab_file = (dir / "vocab.json").string(), merges_file = (dir / "merges.txt").string();
  t->vocab = read_vocab_json(read(vocab_file), vocab_file);
  std::istringstream in(read(merges_file));
  add_merges(*t, in, merges_file, -1);
  for (auto [name, slot] : {std::pair{"<|startoftext|>", &t->bos}, std::pair{"<|endoftext|>", &t->eos}}) {
    auto it = t->vocab.find(name);
    if (it == t->vocab.end()) throw Error(vocab_file + ": vocabulary lacks the token \"" + name + "\"");
    *slot = it->second;
  }
  check_vocab(*t, vocab_file);
  return ClipTokenizer(t);
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& piece : pre_tokenize(clean(text))) {
    if (piece == U"<|startoftext|>" || piece == U"<|endoftext|>") {
      ids.push_back(piece[2] == U's' ? t_->bos : t_->eos);
      continue;
    }
    const std::string word = encode_utf8(piece);
    std::vector<int64_t> w;
    {
      std::lock_guard<std::mutex> lock(t_->mutex);
      auto it = t_->cache.find(word);
      if (it != t_->cache.end()) w = it->second;
    }
    if (w.empty()) {
      w = bpe(*t_, word);
      std::lock_guard<std::mutex> lock(t_->mutex);
      if (t_->cache.size() > 100000) t_->cache.clear();  // bound memory for long-running hosts
      t_->cache.emplace(word, w);
    }
    ids.insert(ids.end(), w.begin(), w.end());
  }
  return ids;
}

std::vector<int64_t> ClipTokenizer::tokenize_truncated(const std::string& text, int64_t pad_id) const {
  std::vector<int64_t> ids = encode(text);
  if (int64_t(ids.size()) > kChunkTokens) ids.resize(kChunkTokens);
  ids.insert(ids.begin(), t_->bos);
  ids.push_back(t_->eos);
  ids.resize(kContext, pad_id);
  return ids;
}

int64_t ClipTokenizer::vocab_size() const { return t_->size; }
int64_t ClipTokenizer::bos_id() const { return t_->bos; }
int64_t ClipTokenizer::eos_id() const { return t_->eos; }
const std::vector<std::pair<std::string, std::string>>& ClipTokenizer::merges() const { return t_->merges; }

}  // namespace ng::sd
