// safetensors reader/writer. Every size read from the file is checked before it is used;
// arithmetic on sizes is done in unsigned __int128 so a hostile shape cannot overflow.
// Assumes a little-endian host (x86-64, aarch64), as the format itself does.
#include "noisegraph/io/safetensors.hpp"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"

namespace ng::io {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t bytes;
  at::ScalarType scalar;
};

const DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 4, at::kFloat},   {DType::F16, "F16", 2, at::kHalf},
    {DType::BF16, "BF16", 2, at::kBFloat16}, {DType::F64, "F64", 8, at::kDouble},
    {DType::I64, "I64", 8, at::kLong},    {DType::I32, "I32", 4, at::kInt},
    {DType::I16, "I16", 2, at::kShort},   {DType::I8, "I8", 1, at::kChar},
    {DType::U8, "U8", 1, at::kByte},      {DType::BOOL, "BOOL", 1, at::kBool},
};

const DTypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DTypeInfo& info(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i;
  throw Error("unknown dtype");
}

struct Entry {
  std::string name;
  const DTypeInfo* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

uint64_t read_u64_le(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[size_t(i)]);
  return n;
}

// Validates the header against the buffer size and returns the entries in offset order.
std::vector<Entry> parse_header(const json::Value& header, uint64_t buffer_size, const std::string& src,
                                std::map<std::string, std::string>& metadata) {
  if (!header.is_object()) throw Error(src + ": safetensors header must be a JSON object");
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.as_object()) {
    if (name == "__metadata__") {
      if (!v.is_object()) throw Error(src + ": __metadata__ must be an object of strings");
      for (const auto& [k, mv] : v.as_object()) {
        if (!mv.is_string()) throw Error(src + ": __metadata__ value for '" + k + "' is not a string");
        metadata[k] = mv.as_string();
      }
      continue;
    }
    const std::string what = src + ": tensor '" + name + "'";
    if (!v.is_object()) throw Error(what + ": entry must be an object");
    const json::Value* dt = v.find("dtype");
    const json::Value* shape = v.find("shape");
    const json::Value* offs = v.find("data_offsets");
    if (!dt || !shape || !offs) throw Error(what + ": entry needs dtype, shape and data_offsets");
    if (!dt->is_string()) throw Error(what + ": dtype must be a string");
    Entry e;
    e.name = name;
    e.dtype = find_dtype(dt->as_string());
    if (!e.dtype) throw Error(what + ": unknown dtype '" + dt->as_string() + "'");
    if (!shape->is_array()) throw Error(what + ": shape must be an array");
    if (shape->as_array().size() > 16) throw Error(what + ": more than 16 dimensions");
    unsigned __int128 count = 1;
    for (const auto& d : shape->as_array()) {
      if (!d.is_integer() || d.as_int() < 0) throw Error(what + ": shape entries must be non-negative integers");
      e.shape.push_back(d.as_int());
      count *= uint64_t(d.as_int());
      if (count > (unsigned __int128)buffer_size + 1) count = (unsigned __int128)buffer_size + 1;  // saturate
    }
    if (!offs->is_array() || offs->as_array().size() != 2) throw Error(what + ": data_offsets must be [begin, end]");
    const auto& o = offs->as_array();
    if (!o[0].is_integer() || !o[1].is_integer() || o[0].as_int() < 0 || o[1].as_int() < 0)
      throw Error(what + ": data_offsets must be non-negative integers");
    e.begin = uint64_t(o[0].as_int());
    e.end = uint64_t(o[1].as_int());
    if (e.begin > e.end) throw Error(what + ": data_offsets begin > end");
    if (e.end > buffer_size)
      throw Error(what + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                  "] outside the data buffer of " + std::to_string(buffer_size) + " bytes (truncated file?)");
    const unsigned __int128 expected = count * e.dtype->bytes;
    if (expected != (unsigned __int128)(e.end - e.begin))
      throw Error(what + ": " + std::to_string(e.end - e.begin) + " bytes do not match dtype " + e.dtype->name +
                  " and its shape");
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  for (const auto& e : entries) {
    if (e.begin < pos) throw Error(src + ": tensor '" + e.name + "' overlaps the previous tensor's bytes");
    if (e.begin > pos) throw Error(src + ": hole in the data buffer before tensor '" + e.name + "'");
    pos = e.end;
  }
  if (pos != buffer_size)
    throw Error(src + ": " + std::to_string(buffer_size - pos) + " unindexed bytes at the end of the data buffer");
  return entries;
}

// Opening a FIFO blocks and /dev/zero never ends: only regular files are read. Returns
// the file's size.
uint64_t require_regular_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path.string() + ": cannot open file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(path.string() + ": is a folder, expected a .safetensors file");
  if (!S_ISREG(st.st_mode))
    throw Error(path.string() + ": not a regular file (a FIFO, device or socket cannot be a model file)");
  return uint64_t(st.st_size);
}

std::string read_file(const std::filesystem::path& path) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return std::move(ss).str();
}

json::Value header_of(const std::string& bytes, const std::string& src, uint64_t& data_start) {
  if (bytes.size() < 8) throw Error(src + ": not a safetensors file (shorter than 8 bytes)");
  const uint64_t n = read_u64_le(bytes);
  if (n > kMaxHeaderBytes)
    throw Error(src + ": safetensors header of " + std::to_string(n) + " bytes exceeds the 100 MB limit");
  if (n > bytes.size() - 8)
    throw Error(src + ": truncated file (header claims " + std::to_string(n) + " bytes, file has " +
                std::to_string(bytes.size() - 8) + ")");
  data_start = 8 + n;
  return json::parse(std::string_view(bytes).substr(8, n), src + ": safetensors header");
}

}  // namespace

const char* dtype_name(DType d) { return info(d).name; }

const at::Tensor& TensorFile::get(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(source + ": missing tensor '" + name + "'");
  return it->second;
}

const std::string& TensorFile::meta(const std::string& key) const {
  auto it = metadata.find(key);
  if (it == metadata.end()) throw Error(source + ": missing metadata '" + key + "'");
  return it->second;
}

std::string TensorFile::meta_or(const std::string& key, const std::string& fallback) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? fallback : it->second;
}

TensorFile parse_safetensors(const std::string& bytes, const std::string& source) {
  TensorFile out;
  out.source = source;
  uint64_t data_start = 0;
  json::Value header = header_of(bytes, source, data_start);
  const uint64_t buffer_size = bytes.size() - data_start;
  auto entries = parse_header(header, buffer_size, source, out.metadata);
  for (const auto& e : entries) {
    at::Tensor raw = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->scalar));
    if (e.end > e.begin) std::memcpy(raw.data_ptr(), bytes.data() + data_start + e.begin, e.end - e.begin);
    const bool floating = at::isFloatingType(e.dtype->scalar);
    out.tensors[e.name] = floating ? raw.to(at::kFloat) : raw.to(at::kLong);
  }
  return out;
}

// Reads only the JSON header of a file on disk (after checking it is a regular file and its
// header fits the 100 MB limit and, when `size` is given, the file).
namespace {
json::Value read_header(const std::filesystem::path& path, uint64_t* size, uint64_t* header_bytes) {
  const std::string src = path.string();
  const uint64_t file_size = require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(src + ": cannot open file");
  std::string head(8, '\0');
  in.read(head.data(), 8);
  if (in.gcount() != 8) throw Error(src + ": not a safetensors file (shorter than 8 bytes)");
  const uint64_t n = read_u64_le(head);
  if (n > kMaxHeaderBytes)
    throw Error(src + ": safetensors header of " + std::to_string(n) + " bytes exceeds the 100 MB limit");
  if (size && n > file_size - 8)
    throw Error(src + ": truncated file (header claims " + std::to_string(n) + " bytes, file has " +
                std::to_string(file_size - 8) + ")");
  std::string text(n, '\0');
  in.read(text.data(), std::streamsize(n));
  if (uint64_t(in.gcount()) != n) throw Error(src + ": truncated file (header incomplete)");
  if (size) *size = file_size;
  if (header_bytes) *header_bytes = n;
  return json::parse(text, src + ": safetensors header");
}
}  // namespace

TensorFile load_safetensors(const std::filesystem::path& path) {
  // The header first: a file whose header does not describe its size exactly is refused
  // before its contents are read into memory.
  uint64_t size = 0, n = 0;
  std::map<std::string, std::string> ignored;
  const json::Value header = read_header(path, &size, &n);  // sets size and n first
  parse_header(header, size - 8 - n, path.string(), ignored);
  return parse_safetensors(read_file(path), path.string());
}

std::map<std::string, std::string> read_safetensors_metadata(const std::filesystem::path& path) {
  const std::string src = path.string();
  const json::Value header = read_header(path, nullptr, nullptr);
  std::map<std::string, std::string> meta;
  if (!header.is_object()) throw Error(src + ": safetensors header must be a JSON object");
  if (const auto* m = header.find("__metadata__")) {
    if (!m->is_object()) throw Error(src + ": __metadata__ must be an object of strings");
    for (const auto& [k, v] : m->as_object()) {
      if (!v.is_string()) throw Error(src + ": __metadata__ value for '" + k + "' is not a string");
      meta[k] = v.as_string();
    }
  }
  return meta;
}

MappedTensorFile::MappedTensorFile(const std::filesystem::path& path) : source_(path.string()) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(source_ + ": no such file");
  if (!S_ISREG(st.st_mode)) throw Error(source_ + ": not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(source_ + ": cannot open file: " + std::strerror(errno));
  size_ = uint64_t(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    throw Error(source_ + ": not a safetensors file (shorter than 8 bytes)");
  }
  void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw Error(source_ + ": cannot map file: " + std::strerror(errno));
  map_ = m;
  try {
    const char* bytes = static_cast<const char*>(map_);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    if (n > kMaxHeaderBytes)
      throw Error(source_ + ": safetensors header of " + std::to_string(n) + " bytes exceeds the 100 MB limit");
    if (n > size_ - 8)
      throw Error(source_ + ": truncated file (header claims " + std::to_string(n) + " bytes, file has " +
                  std::to_string(size_ - 8) + ")");
    data_start_ = 8 + n;
    const json::Value header = json::parse(std::string_view(bytes + 8, n), source_ + ": safetensors header");
    for (const auto& e : parse_header(header, size_ - data_start_, source_, metadata_)) {
      infos_[e.name] = TensorInfo{e.dtype->dtype, e.shape};
      spans_[e.name] = Span{e.begin, e.end};
    }
  } catch (...) {
    ::munmap(map_, size_);
    map_ = nullptr;
    throw;
  }
}

MappedTensorFile::~MappedTensorFile() {
  if (map_) ::munmap(map_, size_);
}

at::Tensor MappedTensorFile::load(const std::string& name, at::ScalarType type) const {
  auto it = infos_.find(name);
  if (it == infos_.end()) throw Error(source_ + ": missing tensor '" + name + "'");
  const auto& span = spans_.at(name);
  const at::ScalarType stored = info(it->second.dtype).scalar;
  if (at::isFloatingType(stored) != at::isFloatingType(type))
    throw Error(source_ + ": tensor '" + name + "' is " + dtype_name(it->second.dtype) + ", expected " +
                (at::isFloatingType(type) ? "a floating type" : "an integer type"));
  char* base = static_cast<char*>(map_) + data_start_;
  at::Tensor out = at::empty(it->second.shape, at::TensorOptions().dtype(type));
  if (span.end > span.begin) {
    // A view of the mapped bytes (never written: MAP_PRIVATE and copy_ only reads it).
    at::Tensor view = at::from_blob(base + span.begin, it->second.shape, at::TensorOptions().dtype(stored));
    out.copy_(view);
    // Give the file's pages back: the converted copy is what stays resident.
    const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
    const uintptr_t lo = (uintptr_t(base + span.begin) + page - 1) / page * page;
    const uintptr_t hi = uintptr_t(base + span.end) / page * page;
    if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  }
  return out;
}

std::string serialize_safetensors(const std::map<std::string, at::Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata, DType float_dtype) {
  if (float_dtype != DType::F32 && float_dtype != DType::F16 && float_dtype != DType::BF16)
    throw Error("safetensors: floating tensors can be written as F32, F16 or BF16 only");
  json::Value header = json::Object{};
  if (!metadata.empty()) {
    json::Object m;
    for (const auto& [k, v] : metadata) m.emplace_back(k, json::Value(v));
    header.set("__metadata__", json::Value(std::move(m)));
  }
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__") throw Error("safetensors: '__metadata__' is not a valid tensor name");
    if (!t.defined()) throw Error("safetensors: tensor '" + name + "' is undefined");
    DType d;
    if (at::isFloatingType(t.scalar_type())) d = float_dtype;
    else if (t.scalar_type() == at::kBool) d = DType::BOOL;
    else if (at::isIntegralType(t.scalar_type(), false)) d = DType::I64;
    else throw Error("safetensors: tensor '" + name + "' has an unsupported type");
    at::Tensor c = t.detach().to(at::kCPU).to(info(d).scalar).contiguous();
    const uint64_t nbytes = uint64_t(c.numel()) * info(d).bytes;
    json::Array shape;
    for (auto s : c.sizes()) shape.emplace_back(int64_t(s));
    json::Value entry = json::Object{};
    entry.set("dtype", info(d).name);
    entry.set("shape", json::Value(std::move(shape)));
    entry.set("data_offsets", json::Value(json::Array{int64_t(offset), int64_t(offset + nbytes)}));
    header.set(name, std::move(entry));
    offset += nbytes;
    data.push_back(std::move(c));
  }
  std::string text = json::dump(header);
  while ((8 + text.size()) % 8) text += ' ';
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out += char((n >> (8 * i)) & 0xFF);
  out += text;
  for (const auto& c : data)
    out.append(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.element_size());
  return out;
}

void save_safetensors(const std::filesystem::path& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata, DType float_dtype) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata, float_dtype));
}

}  // namespace ng::io
