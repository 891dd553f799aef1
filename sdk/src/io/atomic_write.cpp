// Temporary file + fsync + rename (or link). Writes go through write(2), whose errno is
// exact ("No space left on device"); std::ofstream only says that something failed.
#include "noisegraph/io/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <streambuf>
#include <string>

#include "noisegraph/error.hpp"
#include "noisegraph/io/pending_files.hpp"

namespace fs = std::filesystem;

namespace ng::io {
namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// A stream buffer over a file descriptor that remembers the first errno.
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }
  bool flush_all() { return drain() && error_ == 0; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n < epptr() - pptr()) {
      std::memcpy(pptr(), s, std::size_t(n));
      pbump(int(n));
      return n;
    }
    return drain() && write_all(s, std::size_t(n)) ? n : 0;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool write_all(const char* p, std::size_t n) {
    while (n > 0 && error_ == 0) {
      const ssize_t k = ::write(fd_, p, n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) error_ = k < 0 ? errno : EIO;
      else p += k, n -= std::size_t(k);
    }
    return error_ == 0;
  }
  bool drain() {
    const bool ok = write_all(pbase(), std::size_t(pptr() - pbase()));
    setp(buffer_, buffer_ + sizeof buffer_);
    return ok;
  }
  int fd_;
  int error_ = 0;
  char buffer_[64 * 1024];
};

// An exclusively created temporary file next to the target; removed unless kept.
class TempFile {
 public:
  TempFile(const fs::path& dir, const std::string& name, const std::string& what) {
    static std::atomic<uint64_t> sequence{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = dir / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(sequence++));
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd_ >= 0) break;
      if (errno != EEXIST) throw Error(what + ": " + std::strerror(errno));
    }
    if (fd_ < 0) throw Error(what + ": cannot find a free temporary name");
    pending_ = std::make_unique<PendingFile>(path_);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const fs::path& path() const { return path_; }
  int fd() const { return fd_; }
  // fsync + close; returns 0 or the errno.
  int finish() {
    int err = ::fsync(fd_) != 0 ? errno : 0;
    if (::close(fd_) != 0 && !err) err = errno;
    fd_ = -1;
    return err;
  }
  // The file now has its final name (or was linked there): forget the temporary.
  void kept() {
    kept_ = true;
    pending_->release();
  }

 private:
  fs::path path_;
  int fd_ = -1;
  bool kept_ = false;
  std::unique_ptr<PendingFile> pending_;
};

// Writes through `write` into `tmp` and flushes it to disk; throws `what: reason`.
void fill(TempFile& tmp, const std::function<void(std::ostream&)>& write, const std::string& what) {
  FdBuffer buffer(tmp.fd());
  std::ostream out(&buffer);
  write(out);
  if (!buffer.flush_all() || !out) {
    const int err = buffer.error();
    throw Error(what + ": " + (err ? std::strerror(err) : "the writer reported a stream error"));
  }
  if (const int err = tmp.finish()) throw Error(what + ": " + std::strerror(err));
}

void sync_folder(const fs::path& dir) {  // makes the rename itself durable; best effort
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  const std::string what = "cannot write " + quoted(path);
  if (!path.has_filename()) throw Error(what + ": not a file name");
  const fs::path dir = path.parent_path();
  std::error_code ec;
  if (!dir.empty()) fs::create_directories(dir, ec);  // an error shows when creating the file
  TempFile tmp(dir.empty() ? fs::path(".") : dir, path.filename().string(), what);
  struct stat old {};
  if (::stat(path.c_str(), &old) == 0) ::fchmod(tmp.fd(), old.st_mode & 07777);  // keep its permissions
  fill(tmp, write, what);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) throw Error(what + ": " + std::strerror(errno));
  tmp.kept();
  sync_folder(dir);
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
}

fs::path write_file_new(const fs::path& dir, std::string_view bytes, const std::function<fs::path()>& next_name) {
  const std::string what = "cannot write a new file in folder " + quoted(dir);
  TempFile tmp(dir, "new", what);
  fill(tmp, [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); }, what);
  for (;;) {
    const fs::path target = next_name();
    // link() fails with EEXIST when the name is taken, so two writers cannot both win it.
    if (::link(tmp.path().c_str(), target.c_str()) == 0) {
      sync_folder(dir);
      return target;  // ~TempFile unlinks the temporary name; the data stays under target
    }
    const int err = errno;
    if (err == EEXIST) continue;
    if (err == EPERM || err == ENOTSUP || err == ENOSYS) {
      // Filesystems without hard links: a plain rename (only racy against other writers).
      std::error_code ec;
      if (fs::exists(target, ec)) continue;
      if (::rename(tmp.path().c_str(), target.c_str()) != 0)
        throw Error("cannot write " + quoted(target) + ": " + std::strerror(errno));
      tmp.kept();
      sync_folder(dir);
      return target;
    }
    throw Error("cannot write " + quoted(target) + ": " + std::strerror(err));
  }
}

}  // namespace ng::io
