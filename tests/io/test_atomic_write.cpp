// io/atomic_write.hpp: a write either completes or leaves the old file and no temporary.
#include <QTemporaryDir>
#include <QtTest>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "noisegraph/error.hpp"
#include "ng_test/error_of.hpp"
#include "noisegraph/io/atomic_write.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Caps the size of files this process may write (works as root too), so a write fails
// part-way with EFBIG after the temporary file exists.
struct FileSizeLimit {
  rlimit old{};
  void (*previous)(int) = nullptr;
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old);
    previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &small);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
  }
};

}  // namespace

class AtomicWrite : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path dir_;

 private Q_SLOTS:
  void init() {
    dir_ = fs::path(tmp_.path().toStdString()) / QTest::currentTestFunction();
    fs::create_directories(dir_);
  }

  void replaces_the_file_and_creates_missing_folders() {
    const fs::path p = dir_ / "a" / "b" / "file.txt";
    ng::io::write_file_atomic(p, std::string_view("first"));
    ng::io::write_file_atomic(p, [](std::ostream& out) { out << "second " << 2; });
    QCOMPARE(read_text(p), std::string("second 2"));
    QCOMPARE(listing(p.parent_path()), (std::vector<std::string>{"file.txt"}));
  }

  void a_writer_that_throws_leaves_the_target_unchanged_and_no_temporary() {
    const fs::path p = dir_ / "keep.txt";
    ng::io::write_file_atomic(p, std::string_view("old contents"));
    bool thrown = false;
    try {
      ng::io::write_file_atomic(p, [](std::ostream& out) {
        out << std::string(200000, 'x');  // more than the buffer: part of it is on disk
        throw std::runtime_error("writer gave up");
      });
    } catch (const std::runtime_error& e) {
      thrown = std::string(e.what()) == "writer gave up";  // propagated unchanged
    }
    QVERIFY(thrown);
    QCOMPARE(read_text(p), std::string("old contents"));
    QCOMPARE(listing(dir_), (std::vector<std::string>{"keep.txt"}));
  }

  void a_full_disk_gives_the_system_reason_and_leaves_nothing_behind() {
    const fs::path p = dir_ / "big.bin";
    ng::io::write_file_atomic(p, std::string_view("old"));
    std::string msg;
    {
      FileSizeLimit limit(1000);
      try {
        ng::io::write_file_atomic(p, std::string(5000, 'y'));
      } catch (const ng::Error& e) {
        msg = e.what();
      }
    }
    QVERIFY2(msg.find(std::strerror(EFBIG)) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(p.string()) != std::string::npos, msg.c_str());
    QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
    QCOMPARE(read_text(p), std::string("old"));
    QCOMPARE(listing(dir_), (std::vector<std::string>{"big.bin"}));
  }

  void the_permissions_of_a_replaced_file_are_kept() {
    const fs::path p = dir_ / "private.txt";
    ng::io::write_file_atomic(p, std::string_view("a"));
    QCOMPARE(::chmod(p.c_str(), 0600), 0);
    ng::io::write_file_atomic(p, std::string_view("b"));
    struct stat st {};
    QCOMPARE(::stat(p.c_str(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
  }

  void an_unwritable_folder_is_named_in_the_error() {
    if (::geteuid() == 0) QSKIP("root ignores folder permissions; a_file_in_the_way_of_the_folder_is_named_in_the_error covers root");
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
    std::string msg;
    try {
      ng::io::write_file_atomic(dir_ / "x.txt", std::string_view("x"));
    } catch (const ng::Error& e) {
      msg = e.what();
    }
    fs::permissions(dir_, fs::perms::owner_all);
    QVERIFY2(msg.find((dir_ / "x.txt").string()) != std::string::npos, msg.c_str());
    QVERIFY(listing(dir_).empty());
  }

  void a_file_in_the_way_of_the_folder_is_named_in_the_error() {
    // A failure root cannot bypass (folder permissions do not stop root, so CI, running as
    // root, skips the test above): the folder to write into is a regular file.
    std::ofstream(dir_ / "blocked") << "a file, not a folder";
    const std::string msg =
        ng_test::error_of([&] { ng::io::write_file_atomic(dir_ / "blocked" / "x.txt", std::string_view("x")); });
    QVERIFY2(msg.find((dir_ / "blocked" / "x.txt").string()) != std::string::npos, msg.c_str());
    QCOMPARE(listing(dir_), (std::vector<std::string>{"blocked"}));  // nothing else left behind
  }

  void a_new_file_never_replaces_an_existing_one() {
    std::ofstream(dir_ / "n_1") << "taken";
    std::ofstream(dir_ / "n_2") << "taken too";
    int next = 1;
    const fs::path got = ng::io::write_file_new(dir_, "fresh", [&] { return dir_ / ("n_" + std::to_string(next++)); });
    QCOMPARE(got, dir_ / "n_3");
    QCOMPARE(next, 4);
    QCOMPARE(read_text(dir_ / "n_1"), std::string("taken"));
    QCOMPARE(read_text(got), std::string("fresh"));
    QCOMPARE(listing(dir_), (std::vector<std::string>{"n_1", "n_2", "n_3"}));
  }

  void a_failed_new_file_leaves_nothing_behind() {
    std::string msg;
    {
      FileSizeLimit limit(100);
      try {
        ng::io::write_file_new(dir_, std::string(1000, 'z'), [&] { return dir_ / "never"; });
      } catch (const ng::Error& e) {
        msg = e.what();
      }
    }
    QVERIFY2(msg.find(std::strerror(EFBIG)) != std::string::npos, msg.c_str());
    QVERIFY(listing(dir_).empty());
  }
};

QTEST_APPLESS_MAIN(AtomicWrite)
#include "test_atomic_write.moc"
