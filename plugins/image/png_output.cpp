#include "png_output.hpp"

#include <ATen/ATen.h>
#include <QBuffer>
#include <QImage>
#include <QImageWriter>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <memory>

#include "image_io.hpp"
#include "image_ops.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/pending_files.hpp"

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

// A name no other writer uses: pid, a process-wide sequence number and the clock.
fs::path temp_name(const fs::path& dir, const std::string& stem) {
  static std::atomic<uint64_t> sequence{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  return dir / ("." + stem + ".png." + std::to_string(::getpid()) + "-" +
                std::to_string(sequence++) + "-" + std::to_string(ticks % 1000000) + ".part");
}

// Encodes `img` into a new temporary file in `dir` and flushes it to disk. Returns its
// path; on failure removes it and throws with the system's reason. The PNG is encoded in
// memory and written with write(2), whose errno is exact (Qt's file layer reports a
// full disk as "Unknown error").
fs::path write_temp_png(const QImage& img, const fs::path& dir, const std::string& stem,
                        std::unique_ptr<io::PendingFile>& pending) {
  QByteArray png;
  {
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    if (!writer.write(img)) throw Error("cannot encode a PNG: " + writer.errorString().toStdString());
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path tmp = temp_name(dir, stem);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;  // name taken by another writer
      throw Error("cannot write to output folder " + quoted(dir) + ": " + std::strerror(errno));
    }
    pending = std::make_unique<io::PendingFile>(tmp);  // unlinked if a signal ends the process now
    int err = 0;
    for (qsizetype done = 0; done < png.size() && !err;) {
      const ssize_t n = ::write(fd, png.constData() + done, size_t(png.size() - done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) err = n < 0 ? errno : EIO;
      else done += n;
    }
    if (!err && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && !err) err = errno;
    if (err) {
      ::unlink(tmp.c_str());
      pending.reset();
      throw Error("cannot write a PNG in output folder " + quoted(dir) + ": " + std::strerror(err));
    }
    return tmp;
  }
  throw Error("cannot create a temporary file in output folder " + quoted(dir));
}

// Gives `tmp` the first free numbered name from `counter` on, never replacing a file.
// link() fails with EEXIST when the name is taken, so two writers cannot both win it.
fs::path publish(const fs::path& tmp, const fs::path& dir, const std::string& stem, int64_t& counter) {
  for (;; ++counter) {
    const fs::path target = numbered(dir, stem, counter);
    if (::link(tmp.c_str(), target.c_str()) == 0) {
      ::unlink(tmp.c_str());
      return target;
    }
    const int err = errno;
    if (err == EEXIST) continue;
    if (err == EPERM || err == ENOTSUP || err == ENOSYS) {
      // Filesystems without hard links: a plain rename (only racy against other writers).
      std::error_code ec;
      if (fs::exists(target, ec)) continue;
      fs::rename(tmp, target, ec);
      if (!ec) return target;
      throw Error("cannot rename " + quoted(tmp) + " to " + quoted(target) + ": " + ec.message());
    }
    throw Error("cannot create " + quoted(target) + ": " + std::strerror(err));
  }
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
  for (int64_t b = 0; b < images.size(0); ++b) {
    QImage img = to_qimage(images[b]);
    if (!text.empty()) img.setText(QString::fromUtf8(text_key.c_str()), QString::fromStdString(text));
    std::unique_ptr<io::PendingFile> pending;
    const fs::path tmp = write_temp_png(img, name.dir, name.stem, pending);
    try {
      written.push_back(publish(tmp, name.dir, name.stem, counter));
    } catch (...) {
      fs::remove(tmp, ec);
      throw;
    }
    pending.reset();
    ++counter;
    if (on_file) on_file(written.back());
  }
  return written;
}

}  // namespace ng::image
