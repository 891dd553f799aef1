// Model and image files from strangers: mutated safetensors (header and body), PNG and
// JPEG files go through the loaders. Allowed outcomes: ng::Error or a successful load.
// Anything else (another exception type, a signal, a hang, memory beyond the limit set
// here) fails the test.
#include <ATen/ATen.h>
#include <QImage>
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cstring>

#include "image_io.hpp"
#include "mutate.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/nn/model_files.hpp"
#include "png_output.hpp"

namespace fs = std::filesystem;

namespace {

struct Tally {
  int ok = 0, refused = 0;
};

// Runs `load`; a clean refusal is an ng::Error. Fails the test for anything else.
template <class F>
bool attempt(F&& load, Tally& t, std::string& other) {
  try {
    load();
    ++t.ok;
  } catch (const ng::Error&) {
    ++t.refused;
  } catch (const std::bad_alloc&) {
    other = "out of memory (a size read from the file was not bounded)";
    return false;
  } catch (const std::exception& e) {
    other = std::string("not an ng::Error: ") + e.what();
    return false;
  }
  return true;
}

// Recomputes the CRC of every chunk that is still well-formed, so that mutations reach the
// decoder behind the CRC check (half the PNG cases).
void fix_png_crcs(std::string& b) {
  auto be32 = [&](std::size_t p) {
    return (uint32_t(uint8_t(b[p])) << 24) | (uint32_t(uint8_t(b[p + 1])) << 16) | (uint32_t(uint8_t(b[p + 2])) << 8) |
           uint8_t(b[p + 3]);
  };
  for (std::size_t pos = 8; pos + 12 <= b.size();) {
    const uint32_t len = be32(pos);
    if (len > b.size() - pos - 12) break;
    const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(b.data() + pos + 4), uInt(len + 4)));
    for (int i = 0; i < 4; ++i) b[pos + 8 + len + std::size_t(i)] = char((crc >> (24 - 8 * i)) & 0xff);
    pos += std::size_t(len) + 12;
  }
}

uint64_t header_end(const std::string& st) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(st[std::size_t(i)]);
  return 8 + n;
}

}  // namespace

class FuzzFiles : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() {
    // Memory a mutated size could make a loader take: far more than any case needs (the
    // models are < 4 MB), far less than a blow-up. Address space, so it also counts
    // LibTorch's and Qt's mappings: 6 GB.
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space for its shadow
    rlimit r{6ull << 30, 6ull << 30};
    QCOMPARE(::setrlimit(RLIMIT_AS, &r), 0);
#endif
  }

  void mutated_safetensors_are_loaded_or_refused_cleanly() {
    const fs::path dir = tmp_.path().toStdString();
    ng_fuzz::Mutator m(7, {"\"shape\":[4294967296,4294967296]", "\"data_offsets\":[0,18446744073709551615]",
                           "\"dtype\":\"F64\"", "\"__metadata__\":{}", "\"channels\":[2048,2048]",
                           "\"timesteps\":100000000", "NaN", "1e999", "-1", "\\u0000", "{", "[", "\"", ","});
    const std::vector<std::string> seeds = {
        ng_fuzz::read_file(fs::path(NG_TEST_SOURCE_DIR) / "models" / "fmnist-vae.safetensors"),
        ng_fuzz::read_file(fs::path(NG_TEST_SOURCE_DIR) / "models" / "fmnist-eval-classifier.safetensors")};
    const int cases = ng_fuzz::case_count(600);
    Tally header, body;
    std::string other;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < cases; ++i) {
      const std::string& seed = seeds[std::size_t(i % 2)];
      const bool in_header = m.below(3) != 0;
      const std::string bytes = in_header ? m.mutate_range(seed, 0, std::size_t(header_end(seed)))
                                          : m.mutate_range(seed, std::size_t(header_end(seed)), seed.size(), 2);
      const fs::path f = dir / ("case" + std::to_string(i) + ".safetensors");
      ng_fuzz::write_file(f, bytes);
      Tally& t = in_header ? header : body;
      const bool clean = attempt([&] {
        ng::nn::describe_model_file(f);  // never throws
        if (i % 2 == 0) ng::nn::load_autoencoder(f);
        else ng::nn::load_classifier(f);
      }, t, other);
      QVERIFY2(clean, ("case " + std::to_string(i) + ": " + other).c_str());
      fs::remove(f);
    }
    qInfo("safetensors fuzz: %d cases in %.1f s: header %d loaded / %d refused, body %d loaded / %d refused", cases,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), header.ok, header.refused,
          body.ok, body.refused);
    QVERIFY(header.refused > 0);
  }

  void mutated_pngs_and_jpegs_are_loaded_or_refused_cleanly() {
    const fs::path dir = tmp_.path().toStdString();
    // Seeds: PNGs of several colour types written by Qt and by image.save, and a JPEG.
    std::vector<std::string> seeds;
    auto rgb = at::rand({2, 3, 12, 10});
    for (const auto& p : ng::image::save_png_batch(rgb, dir, "seed", "noisegraph", "noisegraph: 1\n"))
      seeds.push_back(ng_fuzz::read_file(p));
    QImage q(9, 7, QImage::Format_Indexed8);
    q.setColorTable({qRgb(0, 0, 0), qRgb(128, 128, 128), qRgba(255, 255, 255, 0)});
    q.fill(1);
    for (const char* fmt : {"png", "jpg"}) {
      const fs::path p = dir / (std::string("seed.") + fmt);
      QVERIFY(q.save(QString::fromStdString(p.string()), fmt));
      seeds.push_back(ng_fuzz::read_file(p));
    }
    QImage grey16(5, 4, QImage::Format_Grayscale16);
    grey16.fill(300);
    QVERIFY(grey16.save(QString::fromStdString((dir / "g16.png").string()), "png"));
    seeds.push_back(ng_fuzz::read_file(dir / "g16.png"));
    QImage argb(6, 6, QImage::Format_ARGB32);
    argb.fill(qRgba(10, 200, 30, 100));
    QVERIFY(argb.save(QString::fromStdString((dir / "argb.png").string()), "png"));
    seeds.push_back(ng_fuzz::read_file(dir / "argb.png"));

    ng_fuzz::Mutator m(11, {"IHDR", "IEND", "PLTE", "tRNS", "IDAT", std::string("\x7f\xff\xff\xff", 4),
                            std::string("\xff\xd9", 2), std::string("\xff\xd8\xff", 3), std::string(4, '\0')});
    const int cases = ng_fuzz::case_count(1500);
    Tally png, jpeg;
    std::string other;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < cases; ++i) {
      const std::size_t s = std::size_t(m.below(seeds.size()));
      std::string bytes = m.mutate(seeds[s]);
      const bool is_jpeg = seeds[s].compare(0, 2, "\xff\xd8") == 0;
      if (!is_jpeg && i % 2) fix_png_crcs(bytes);
      const fs::path f = dir / (is_jpeg ? "case.jpg" : "case.png");
      ng_fuzz::write_file(f, bytes);
      const auto mode = ng::image::ColourMode(m.below(3));
      const bool clean = attempt([&] { ng::image::load_image(f, mode); }, is_jpeg ? jpeg : png, other);
      QVERIFY2(clean, ("case " + std::to_string(i) + ": " + other).c_str());
    }
    qInfo("image fuzz: %d cases in %.1f s: PNG %d loaded / %d refused, JPEG %d loaded / %d refused", cases,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), png.ok, png.refused, jpeg.ok,
          jpeg.refused);
    QVERIFY(png.refused > 0 && png.ok > 0);
  }
};

QTEST_GUILESS_MAIN(FuzzFiles)
#include "test_fuzz_files.moc"
