#include "png_output.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>

#include "image_ops.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/atomic_write.hpp"
#include "noisegraph/io/png.hpp"

namespace fs = std::filesystem;

namespace ng::image {
namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::string counter_text(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%05lld", static_cast<long long>(n));
  return buf;
}

fs::path numbered(const fs::path& dir, const std::string& stem, int64_t n) {
  return dir / (stem + "_" + counter_text(n) + ".png");
}

}  // namespace

OutputName split_prefix(const fs::path& output_dir, const std::string& prefix) {
  if (prefix.empty()) throw Error("filename prefix is empty");
  // A NUL cuts the name short at the system call while our own checks see all of it (the
  // numbering loop then never found a free name); other control characters make names
  // that terminals and file managers mangle.
  for (char c : prefix)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw Error("filename prefix contains a control character; use letters, digits, '-', '_' and '/'");
  const fs::path rel(prefix);
  if (rel.is_absolute() || rel.has_root_name())
    throw Error("filename prefix '" + prefix + "' must be relative to the output folder");
  for (const auto& part : rel)
    if (part == "..") throw Error("filename prefix '" + prefix + "' must not leave the output folder (..)");
  if (!rel.has_filename() || rel.filename() == ".")
    throw Error("filename prefix '" + prefix + "' must end with a file name");
  return OutputName{(output_dir / rel).parent_path(), rel.filename().string()};
}

int64_t next_counter(const fs::path& dir, const std::string& stem) {
  int64_t highest = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string head = stem + "_", tail = ".png";
    if (name.size() < head.size() + 5 + tail.size() || name.compare(0, head.size(), head) != 0 ||
        name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
      continue;
    const std::string digits = name.substr(head.size(), name.size() - head.size() - tail.size());
    if (digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    highest = std::max<int64_t>(highest, std::stoll(digits));
  }
  return highest + 1;
}

std::vector<fs::path> save_png_batch(const at::Tensor& images, const fs::path& output_dir,
                                     const std::string& prefix, const std::string& text_key,
                                     const std::string& text,
                                     const std::function<void(const fs::path&)>& on_file) {
  check_image(images, "save");
  const OutputName name = split_prefix(output_dir, prefix);
  std::error_code ec;
  fs::create_directories(name.dir, ec);
  if (ec || !fs::is_directory(name.dir))
    throw Error("cannot create output folder " + quoted(name.dir) + ": " +
                (ec ? ec.message() : std::string("a file of that name exists")));

  std::vector<fs::path> written;
  int64_t counter = next_counter(name.dir, name.stem);
  std::map<std::string, std::string> chunks;
  if (!text.empty()) chunks[text_key] = text;
  for (int64_t b = 0; b < images.size(0); ++b) {
    const std::string png = io::encode_png(images[b], chunks);
    // A new file under the first free number: a writer that took a number first (another
    // process, or a file that appeared since next_counter) makes this one move on.
    written.push_back(io::write_file_new(name.dir, png, [&] { return numbered(name.dir, name.stem, counter++); }));
    if (on_file) on_file(written.back());
  }
  return written;
}

}  // namespace ng::image
