// Strict JSON parser/writer. Recursive descent with a depth limit so hostile input
// cannot exhaust the stack.
#include "noisegraph/io/json.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "noisegraph/error.hpp"

namespace ng::json {

namespace {
constexpr int kMaxDepth = 64;
}

Value::Value(double v) {
  if (!std::isfinite(v)) throw Error("JSON cannot represent a non-finite number");
  data_ = Number{v, 0, false};
}

bool Value::is_integer() const {
  auto* n = std::get_if<Number>(&data_);
  return n && n->integer;
}

const char* Value::kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "a boolean";
    case Kind::Number: return "a number";
    case Kind::String: return "a string";
    case Kind::Array: return "an array";
    case Kind::Object: return "an object";
  }
  return "?";
}

namespace {
[[noreturn]] void mismatch(const std::string& what, const char* expected, Value::Kind found) {
  throw Error(what + ": expected " + expected + ", found " + Value::kind_name(found));
}
}  // namespace

bool Value::as_bool(const std::string& what) const {
  if (auto* b = std::get_if<bool>(&data_)) return *b;
  mismatch(what, "a boolean", kind());
}
double Value::as_double(const std::string& what) const {
  if (auto* n = std::get_if<Number>(&data_)) return n->d;
  mismatch(what, "a number", kind());
}
int64_t Value::as_int(const std::string& what) const {
  if (auto* n = std::get_if<Number>(&data_)) {
    if (n->integer) return n->i;
    throw Error(what + ": expected an integer, found " + dump(*this));
  }
  mismatch(what, "an integer", kind());
}
const std::string& Value::as_string(const std::string& what) const {
  if (auto* s = std::get_if<std::string>(&data_)) return *s;
  mismatch(what, "a string", kind());
}
const Array& Value::as_array(const std::string& what) const {
  if (auto* a = std::get_if<Array>(&data_)) return *a;
  mismatch(what, "an array", kind());
}
const Object& Value::as_object(const std::string& what) const {
  if (auto* o = std::get_if<Object>(&data_)) return *o;
  mismatch(what, "an object", kind());
}
Array& Value::as_array(const std::string& what) {
  if (auto* a = std::get_if<Array>(&data_)) return *a;
  mismatch(what, "an array", kind());
}
Object& Value::as_object(const std::string& what) {
  if (auto* o = std::get_if<Object>(&data_)) return *o;
  mismatch(what, "an object", kind());
}

const Value* Value::find(std::string_view key) const {
  auto* o = std::get_if<Object>(&data_);
  if (!o) return nullptr;
  for (const auto& [k, v] : *o)
    if (k == key) return &v;
  return nullptr;
}

const Value& Value::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw Error("missing key '" + std::string(key) + "'");
}

Value& Value::set(std::string key, Value v) {
  if (is_null()) data_ = Object{};
  auto& o = as_object("JSON value");
  for (auto& [k, old] : o)
    if (k == key) {
      old = std::move(v);
      return old;
    }
  o.emplace_back(std::move(key), std::move(v));
  return o.back().second;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  Value parse_document() {
    skip_ws();
    Value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const {
    throw Error(what_ + ": invalid JSON at byte " + std::to_string(pos_) + ": " + msg);
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect_literal(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) fail("expected '" + std::string(lit) + "'");
    pos_ += lit.size();
  }

  Value parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
    if (pos_ >= s_.size()) fail("unexpected end of text");
    char c = s_[pos_];
    switch (c) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': return Value(parse_string());
      case 't': expect_literal("true"); return Value(true);
      case 'f': expect_literal("false"); return Value(false);
      case 'n': expect_literal("null"); return Value(nullptr);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        fail(std::string("unexpected character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "'");
    }
  }

  Value parse_object(int depth) {
    ++pos_;  // '{'
    Object obj;
    skip_ws();
    if (consume('}')) return Value(std::move(obj));
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
      std::string key = parse_string();
      for (const auto& kv : obj)
        if (kv.first == key) fail("duplicate key '" + key + "'");
      skip_ws();
      if (!consume(':')) fail("expected ':'");
      skip_ws();
      Value v = parse_value(depth + 1);
      obj.emplace_back(std::move(key), std::move(v));
      skip_ws();
      if (consume(',')) continue;
      if (consume('}')) break;
      fail("expected ',' or '}'");
    }
    return Value(std::move(obj));
  }

  Value parse_array(int depth) {
    ++pos_;  // '['
    Array arr;
    skip_ws();
    if (consume(']')) return Value(std::move(arr));
    for (;;) {
      skip_ws();
      arr.push_back(parse_value(depth + 1));
      skip_ws();
      if (consume(',')) continue;
      if (consume(']')) break;
      fail("expected ',' or ']'");
    }
    return Value(std::move(arr));
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return out;
      if (c < 0x20) fail("control character in string");
      if (c != '\\') {
        out += char(c);
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') fail("unpaired surrogate");
            pos_ += 2;
            unsigned lo = parse_hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default: fail("invalid escape");
      }
    }
  }

  Value parse_number() {
    const size_t start = pos_;
    bool integer = true;
    consume('-');
    if (pos_ >= s_.size()) fail("truncated number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      fail("invalid number");
    }
    if (consume('.')) {
      integer = false;
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (d == pos_) fail("digits expected after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (!consume('+')) consume('-');
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      if (d == pos_) fail("digits expected in exponent");
    }
    const std::string text(s_.substr(start, pos_ - start));
    Value v;
    Value::Number n;
    n.d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(n.d)) fail("number out of range");
    if (integer) {
      errno = 0;
      char* end = nullptr;
      long long i = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0 && end && *end == '\0') {
        n.i = i;
        n.integer = true;
      }
    }
    v.data_ = n;
    return v;
  }

  std::string_view s_;
  const std::string& what_;
  size_t pos_ = 0;
};

Value parse(std::string_view text, const std::string& what) { return Parser(text, what).parse_document(); }

namespace {
void dump_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}

void dump_value(std::string& out, const Value& v, bool pretty, int indent) {
  auto newline = [&](int level) {
    if (!pretty) return;
    out += '\n';
    out.append(size_t(level) * 2, ' ');
  };
  switch (v.kind()) {
    case Value::Kind::Null: out += "null"; break;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; break;
    case Value::Kind::Number:
      if (v.is_integer()) {
        out += std::to_string(v.as_int());
      } else {
        const double d = v.as_double();
        if (!std::isfinite(d)) {
          out += "null";  // JSON has no NaN or infinity
          break;
        }
        // Shortest text that reads back to the same double (0.1, not 0.10000000000000001).
        char buf[32];
        const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;
        std::string s(buf, end);
        // keep it a JSON float so it reads back as non-integer
        if (s.find_first_of(".eE") == std::string::npos) s += ".0";
        out += s;
      }
      break;
    case Value::Kind::String: dump_string(out, v.as_string()); break;
    case Value::Kind::Array: {
      const auto& a = v.as_array();
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += pretty ? ", " : ",";
        dump_value(out, a[i], false, indent + 1);  // arrays stay on one line
      }
      out += ']';
      break;
    }
    case Value::Kind::Object: {
      const auto& o = v.as_object();
      out += '{';
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(indent + 1);
        dump_string(out, o[i].first);
        out += pretty ? ": " : ":";
        dump_value(out, o[i].second, pretty, indent + 1);
      }
      if (!o.empty()) newline(indent);
      out += '}';
      break;
    }
  }
}
}  // namespace

std::string dump(const Value& v, bool pretty) {
  std::string out;
  dump_value(out, v, pretty, 0);
  return out;
}

}  // namespace ng::json
