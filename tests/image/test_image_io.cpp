// Image files: exact 8-bit round trips, JPEG, errors, atomic numbered saving and the
// embedded graph text chunk. Runs without any Q*Application, as the CLI may.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QImageWriter>
#include <QTemporaryDir>
#include <QtTest>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <zlib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "image_io.hpp"
#include "png_output.hpp"
#include "noisegraph/context.hpp"
#include "noisegraph/error.hpp"
#include "ng_test/error_of.hpp"
#include "noisegraph/io/pending_files.hpp"

namespace fs = std::filesystem;
using namespace ng::image;

namespace {

// Random 8-bit values k/255, the values an 8-bit PNG can hold exactly.
at::Tensor random_8bit(int64_t b, int64_t c, int64_t h, int64_t w, uint64_t seed) {
  auto gen = ng::Context::make_generator(seed);
  return at::randint(0, 256, {b, c, h, w}, gen, at::kFloat).div_(255.0);
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A minimal PNG writer, independent of Qt and of the decoder under test: the chunks are
// written as ISO/IEC 15948 describes them, with zlib for the data and the CRCs. `rows` are
// the raw scanlines without filter bytes (filter 0 is added).
std::string chunk(const std::string& type, const std::string& body) {
  std::string out;
  const uint32_t n = uint32_t(body.size());
  for (int s : {24, 16, 8, 0}) out += char((n >> s) & 0xff);
  const std::string tb = type + body;
  out += tb;
  const uint32_t crc = uint32_t(crc32(0, reinterpret_cast<const Bytef*>(tb.data()), uInt(tb.size())));
  for (int s : {24, 16, 8, 0}) out += char((crc >> s) & 0xff);
  return out;
}

std::string make_png(uint32_t w, uint32_t h, int depth, int colour, const std::vector<std::string>& rows,
                     const std::string& plte = {}, const std::string& trns = {}) {
  std::string ihdr;
  for (uint32_t v : {w, h})
    for (int s : {24, 16, 8, 0}) ihdr += char((v >> s) & 0xff);
  ihdr += char(depth);
  ihdr += char(colour);
  ihdr += std::string(3, '\0');
  std::string raw;
  for (const auto& r : rows) raw += '\0' + r;
  uLongf zn = compressBound(uLong(raw.size()));
  std::string z(zn, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &zn, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()));
  z.resize(zn);
  std::string png = "\x89PNG\r\n\x1a\n";
  png += chunk("IHDR", ihdr);
  if (!plte.empty()) png += chunk("PLTE", plte);
  if (!trns.empty()) png += chunk("tRNS", trns);
  png += chunk("IDAT", z) + chunk("IEND", "");
  return png;
}

using ng_test::error_of;

}  // namespace

class ImageIO : public QObject {
  Q_OBJECT
  QTemporaryDir tmp_;
  fs::path dir_;

 private Q_SLOTS:
  void initTestCase() {
    at::set_num_threads(int(std::thread::hardware_concurrency()));
    QVERIFY(tmp_.isValid());
  }
  void init() {
    static int n = 0;
    dir_ = fs::path(tmp_.path().toStdString()) / ("case" + std::to_string(n++));
    fs::create_directories(dir_);
  }

  void rgb_png_round_trip_is_exact_for_8bit_values() {
    auto img = random_8bit(1, 3, 13, 17, 1);
    auto paths = save_png_batch(img, dir_, "rgb", kGraphTextKey, "");
    QCOMPARE(paths.size(), size_t(1));
    auto loaded = load_image(paths[0], ColourMode::Auto);
    QCOMPARE(loaded.image.sizes().vec(), (std::vector<int64_t>{1, 3, 13, 17}));
    QVERIFY(at::equal(loaded.image, img));
    QVERIFY(!loaded.has_alpha);
    QVERIFY(at::equal(loaded.mask, at::zeros({1, 1, 13, 17})));
  }

  void grey_png_round_trip_is_exact_and_stays_one_channel() {
    auto img = random_8bit(1, 1, 9, 5, 2);
    auto paths = save_png_batch(img, dir_, "grey", kGraphTextKey, "");
    auto loaded = load_image(paths[0], ColourMode::Auto);
    QCOMPARE(loaded.image.size(1), 1);
    QVERIFY(at::equal(loaded.image, img));
    // Forced RGB repeats the grey channel exactly.
    auto rgb = load_image(paths[0], ColourMode::Rgb).image;
    QCOMPARE(rgb.size(1), 3);
    QVERIFY(at::equal(rgb, img.expand({1, 3, 9, 5})));
  }

  void grey_mode_uses_bt601_luma() {
    auto img = at::tensor({/*R*/ 1.0f, 0.0f, /*G*/ 0.0f, 1.0f, /*B*/ 0.0f, 0.0f}).view({1, 3, 1, 2});  // red, green
    auto paths = save_png_batch(img, dir_, "luma", kGraphTextKey, "");
    auto g = load_image(paths[0], ColourMode::Grey).image;
    QCOMPARE(g.size(1), 1);
    QVERIFY(at::allclose(g.flatten(), at::tensor({0.299f, 0.587f}), 0, 1e-6));
  }

  void alpha_becomes_mask_of_transparent_pixels() {
    QImage q(2, 1, QImage::Format_ARGB32);
    q.setPixel(0, 0, qRgba(10, 20, 30, 255));
    q.setPixel(1, 0, qRgba(40, 50, 60, 51));  // alpha 51/255 = 0.2
    const fs::path p = dir_ / "alpha.png";
    QVERIFY(q.save(QString::fromStdString(p.string())));
    auto loaded = load_image(p, ColourMode::Auto);
    QVERIFY(loaded.has_alpha);
    QVERIFY(at::allclose(loaded.mask.flatten(), at::tensor({0.0f, 0.8f}), 0, 1e-6));
    // Colour of a half-transparent pixel is kept unpremultiplied.
    QVERIFY(at::allclose(loaded.image[0].select(2, 1).flatten(), at::tensor({40.f, 50.f, 60.f}) / 255.0, 0, 1e-6));
  }

  void sixteen_bit_png_keeps_precision() {
    QImage q(2, 1, QImage::Format_Grayscale16);
    auto* row = reinterpret_cast<quint16*>(q.scanLine(0));
    row[0] = 1000;
    row[1] = 65535;
    const fs::path p = dir_ / "deep.png";
    QVERIFY(q.save(QString::fromStdString(p.string())));
    auto loaded = load_image(p, ColourMode::Auto);
    QCOMPARE(loaded.image.size(1), 1);
    QVERIFY(at::allclose(loaded.image.flatten(), at::tensor({1000.0f / 65535, 1.0f}), 0, 1e-7));
  }

  void jpeg_loads_close_to_original() {
    QImage q(16, 16, QImage::Format_RGB32);
    q.fill(qRgb(200, 100, 50));
    const fs::path p = dir_ / "flat.jpg";
    QImageWriter writer(QString::fromStdString(p.string()), "jpeg");
    writer.setQuality(100);
    QVERIFY2(writer.write(q), qPrintable(writer.errorString()));
    auto loaded = load_image(p, ColourMode::Auto);
    QCOMPARE(loaded.image.sizes().vec(), (std::vector<int64_t>{1, 3, 16, 16}));
    // A flat colour at quality 100 survives JPEG's YCbCr rounding within 2 levels.
    auto expected = at::tensor({200.f, 100.f, 50.f}).div(255.0).view({1, 3, 1, 1}).expand({1, 3, 16, 16});
    QVERIFY((loaded.image - expected).abs().max().item<float>() <= 2.0f / 255);
  }

  void grey_jpeg_loads_as_one_channel() {
    QImage q(8, 8, QImage::Format_Grayscale8);
    q.fill(128);
    const fs::path p = dir_ / "grey.jpg";
    QVERIFY(q.save(QString::fromStdString(p.string()), "jpeg", 100));
    auto loaded = load_image(p, ColourMode::Auto);
    QCOMPARE(loaded.image.size(1), 1);
    QVERIFY((loaded.image - 128.0 / 255).abs().max().item<float>() <= 1.0f / 255);
  }

  // EXIF orientation (TIFF tag 0x0112) turns the picture upright. Reference: Qt's reader
  // with auto-transform on the same bytes, an independent implementation of the tag.
  void jpeg_exif_orientation_matches_qts_upright_picture() {
    QImage q(32, 16, QImage::Format_RGB32);  // four flat quadrants: red, green / blue, white
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 32; ++x)
        q.setPixel(x, y, y < 8 ? (x < 16 ? qRgb(255, 0, 0) : qRgb(0, 255, 0)) : (x < 16 ? qRgb(0, 0, 255) : qRgb(255, 255, 255)));
    const fs::path base = dir_ / "base.jpg";
    QVERIFY(q.save(QString::fromStdString(base.string()), "jpeg", 95));
    const std::string plain = read_bytes(base);
    for (int o = 1; o <= 8; ++o) {
      // APP1 "Exif": big-endian TIFF header, IFD0 with one entry (orientation, SHORT, 1, o).
      std::string tiff("MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0", 19);
      tiff += char(o);
      tiff += std::string(6, '\0');  // value padding, next IFD = 0
      const std::string body = std::string("Exif\0\0", 6) + tiff;
      const std::size_t n = body.size() + 2;
      const std::string app1 = std::string("\xff\xe1", 2) + char(n >> 8) + char(n & 0xff) + body;
      const fs::path p = dir_ / ("o" + std::to_string(o) + ".jpg");
      std::ofstream(p, std::ios::binary) << plain.substr(0, 2) + app1 + plain.substr(2);

      QImageReader reader(QString::fromStdString(p.string()));
      reader.setAutoTransform(true);
      const QImage want = reader.read().convertToFormat(QImage::Format_RGB888);
      const at::Tensor got = load_image(p, ColourMode::Rgb).image[0];
      QCOMPARE(got.size(1), int64_t(want.height()));
      QCOMPARE(got.size(2), int64_t(want.width()));
      float worst = 0;
      for (int y = 0; y < want.height(); ++y)
        for (int x = 0; x < want.width(); ++x) {
          const QRgb w = want.pixel(x, y);
          const int ref[3] = {qRed(w), qGreen(w), qBlue(w)};
          for (int c = 0; c < 3; ++c)
            worst = std::max(worst, std::abs(got[c][y][x].item<float>() * 255 - float(ref[c])));
        }
      // Both decode with libjpeg's integer IDCT; allow a few levels for a different
      // upsampling of the chroma planes.
      QVERIFY2(worst <= 8.0f, qPrintable(QString("orientation %1: max difference %2 levels").arg(o).arg(worst)));
    }
    // Orientation 6 ("rotate 90 clockwise to view"): the bottom-left quadrant (blue) is
    // at the top left of the upright picture.
    const at::Tensor six = load_image(dir_ / "o6.jpg", ColourMode::Rgb).image[0];
    QCOMPARE(six.size(2), int64_t(16));
    QVERIFY(six[2][2][2].item<float>() > 0.8f && six[0][2][2].item<float>() < 0.2f);
  }

  void a_cmyk_jpeg_loads_as_rgb() {
    // Written by ImageMagick (Adobe-style inverted CMYK), see tests/data/png/README.md.
    auto loaded = load_image(fs::path(NG_TEST_DATA_DIR) / "png" / "cmyk_red.jpg", ColourMode::Auto).image;
    QCOMPARE(loaded.size(1), int64_t(3));
    auto mean = loaded.mean({0, 2, 3});
    QVERIFY2(mean[0].item<float>() > 0.9f && mean[1].item<float>() < 0.1f && mean[2].item<float>() < 0.1f,
             qPrintable(QString("mean RGB %1 %2 %3").arg(mean[0].item<float>()).arg(mean[1].item<float>()).arg(mean[2].item<float>())));
  }

  void shipped_rgba_example_has_its_hole_as_mask() {
    auto loaded = load_image(fs::path(NG_TEST_SOURCE_DIR) / "graphs/examples/shirt_hole.png", ColourMode::Auto);
    QCOMPARE(loaded.image.sizes().vec(), (std::vector<int64_t>{1, 3, 28, 28}));
    auto expected = at::zeros({1, 1, 28, 28});
    expected.narrow(2, 9, 10).narrow(3, 9, 10).fill_(1.0);
    QVERIFY(at::equal(loaded.mask, expected));
  }

  void missing_file_error_names_the_path() {
    const fs::path p = dir_ / "nowhere.png";
    auto msg = error_of([&] { load_image(p, ColourMode::Auto); });
    QVERIFY2(QString::fromStdString(msg).contains("not found"), msg.c_str());
    QVERIFY2(msg.find(p.string()) != std::string::npos, msg.c_str());
  }

  // Issue 13 item 7: what the file says is what the node gets.
  void low_bit_grey_pngs_load_as_one_channel_with_exact_levels() {
    struct Case { int depth; std::string row; std::vector<float> want; };
    const std::vector<Case> cases = {
        {1, std::string(1, char(0xA0)), {1, 0, 1, 0}},             // 1010 then padding
        {2, std::string(1, char(0x1B)), {0, 1 / 3.f, 2 / 3.f, 1}},  // 00 01 10 11
        {4, std::string("\x0F\x80", 2), {0, 1, 8 / 15.f, 0}},
    };
    for (const auto& c : cases) {
      const fs::path p = dir_ / ("grey" + std::to_string(c.depth) + ".png");
      std::ofstream(p, std::ios::binary) << make_png(4, 1, c.depth, 0, {c.row});
      auto img = load_image(p, ColourMode::Auto).image;
      QCOMPARE(img.size(1), int64_t(1));
      for (int x = 0; x < 4; ++x) QCOMPARE(img[0][0][0][x].item<float>(), c.want[size_t(x)]);
    }
  }

  void grey_palette_png_loads_as_one_channel_and_a_colour_palette_as_three() {
    const std::string greys("\x00\x00\x00\x80\x80\x80\xff\xff\xff", 9);
    const fs::path p = dir_ / "pal.png";
    std::ofstream(p, std::ios::binary) << make_png(3, 1, 8, 3, {std::string("\x02\x01\x00", 3)}, greys);
    auto img = load_image(p, ColourMode::Auto).image;
    QCOMPARE(img.size(1), int64_t(1));
    QCOMPARE(img[0][0][0][1].item<float>(), 128 / 255.f);
    const fs::path q = dir_ / "colour-pal.png";
    std::ofstream(q, std::ios::binary) << make_png(1, 1, 8, 3, {std::string(1, '\0')}, std::string("\xff\x00\x00", 3));
    auto red = load_image(q, ColourMode::Auto).image;
    QCOMPARE(red.size(1), int64_t(3));
    QCOMPARE(red.flatten()[0].item<float>(), 1.0f);
  }

  void grey_with_a_trns_key_keeps_the_values_of_transparent_pixels() {
    // 8-bit grey, key 200: the pixel of value 200 is transparent but still 200/255 in IMAGE.
    const fs::path p = dir_ / "key.png";
    std::ofstream(p, std::ios::binary) << make_png(2, 1, 8, 0, {std::string("\xc8\x10", 2)}, {}, std::string("\x00\xc8", 2));
    auto loaded = load_image(p, ColourMode::Auto);
    QCOMPARE(loaded.image.size(1), int64_t(1));
    QCOMPARE(loaded.image[0][0][0][0].item<float>(), 200 / 255.f);
    QCOMPARE(loaded.mask[0][0][0][0].item<float>(), 1.0f);  // transparent = regenerate
    QCOMPARE(loaded.mask[0][0][0][1].item<float>(), 0.0f);
  }

  void a_palette_index_past_the_palette_is_refused() {
    const fs::path p = dir_ / "badindex.png";
    std::ofstream(p, std::ios::binary) << make_png(2, 1, 8, 3, {std::string("\x00\x05", 2)},
                                                   std::string("\x00\x00\x00\xff\xff\xff", 6));
    auto msg = error_of([&] { load_image(p, ColourMode::Auto); });
    QVERIFY2(msg.find("palette index 5") != std::string::npos, msg.c_str());
  }

  void a_truncated_jpeg_is_refused() {
    QImage q(64, 64, QImage::Format_RGB888);
    q.fill(Qt::darkCyan);
    const fs::path whole = dir_ / "whole.jpg", cut = dir_ / "cut.jpg";
    QVERIFY(q.save(QString::fromStdString(whole.string()), "jpg"));
    const std::string bytes = read_bytes(whole);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3);
    QCOMPARE(load_image(whole, ColourMode::Auto).image.size(1), int64_t(3));
    auto msg = error_of([&] { load_image(cut, ColourMode::Auto); });
    QVERIFY2(msg.find("truncated JPEG") != std::string::npos, msg.c_str());
  }

  void pngs_above_32_megapixels_load_and_huge_ones_name_the_limit() {
    // 6000 x 6000 = 36 MP grey, rows of zeros: small on disk, refused by Qt's default limit.
    const fs::path p = dir_ / "large.png";
    std::ofstream(p, std::ios::binary) << make_png(6000, 6000, 1, 0, std::vector<std::string>(6000, std::string(750, '\0')));
    auto img = load_image(p, ColourMode::Auto).image;
    QCOMPARE(img.size(2), int64_t(6000));
    QCOMPARE(img.size(3), int64_t(6000));
    // The header of a 100000 x 100000 image is refused before any pixel is inflated.
    const fs::path huge = dir_ / "huge.png";
    std::ofstream(huge, std::ios::binary) << make_png(100000, 100000, 1, 0, {std::string(1, '\0')});
    auto msg = error_of([&] { load_image(huge, ColourMode::Auto); });
    QVERIFY2(msg.find("at most 268 megapixels") != std::string::npos, msg.c_str());
  }

  void corrupt_png_gives_clear_error() {
    // A valid PNG cut in half, and text with a .png name.
    auto paths = save_png_batch(random_8bit(1, 3, 32, 32, 3), dir_, "whole", kGraphTextKey, "");
    const std::string bytes = read_bytes(paths[0]);
    const fs::path cut = dir_ / "cut.png";
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    const fs::path text = dir_ / "text.png";
    std::ofstream(text) << "this is not an image";
    for (const auto& p : {cut, text}) {
      auto msg = error_of([&] { load_image(p, ColourMode::Auto); });
      QVERIFY2(QString::fromStdString(msg).startsWith("cannot decode image"), msg.c_str());
      QVERIFY2(msg.find(p.string()) != std::string::npos, msg.c_str());
    }
  }

  void folder_instead_of_file_is_an_error() {
    auto msg = error_of([&] { load_image(dir_, ColourMode::Auto); });
    QVERIFY2(QString::fromStdString(msg).contains("is a folder"), msg.c_str());
  }

  void save_numbers_files_after_the_highest_existing() {
    for (const char* name : {"cat_00002.png", "cat_00007.png", "cat_x.png", "catalog_00100.png", "cat_12.png"})
      std::ofstream(dir_ / name) << "x";
    auto paths = save_png_batch(random_8bit(3, 1, 2, 2, 4), dir_, "cat", kGraphTextKey, "");
    QCOMPARE(paths.size(), size_t(3));
    QCOMPARE(paths[0].filename().string(), std::string("cat_00008.png"));
    QCOMPARE(paths[1].filename().string(), std::string("cat_00009.png"));
    QCOMPARE(paths[2].filename().string(), std::string("cat_00010.png"));
    QCOMPARE(next_counter(dir_, "cat"), 11);
    QCOMPARE(next_counter(dir_, "dog"), 1);
  }

  void save_never_replaces_an_existing_file() {
    // A second save with the same prefix takes the next number; the first file is untouched.
    auto first = save_png_batch(random_8bit(1, 1, 2, 2, 5), dir_, "a", kGraphTextKey, "");
    const std::string before = read_bytes(first[0]);
    auto second = save_png_batch(random_8bit(1, 1, 2, 2, 6), dir_, "a", kGraphTextKey, "");
    QVERIFY(first[0] != second[0]);
    QCOMPARE(read_bytes(first[0]), before);
  }

  void concurrent_savers_never_overwrite_each_other() {
    // Two writers scan the same folder, pick the same numbers and race for each name;
    // every image must end up in its own file.
    auto a = at::arange(8, at::kFloat).div(255.0).view({8, 1, 1, 1}).expand({8, 1, 2, 2}).contiguous();
    auto b = a + 100.0 / 255.0;
    std::thread other([&] { save_png_batch(b, dir_, "race", kGraphTextKey, ""); });
    save_png_batch(a, dir_, "race", kGraphTextKey, "");
    other.join();
    const auto names = listing(dir_);
    QCOMPARE(names.size(), size_t(16));
    std::set<int> seen;
    for (const auto& n : names) {
      auto v = load_image(dir_ / n, ColourMode::Auto).image;
      seen.insert(int(std::lround(v.mean().item<float>() * 255)));
    }
    std::set<int> expected;
    for (int k = 0; k < 8; ++k) expected.insert({k, k + 100});
    QCOMPARE(seen, expected);
  }

  void save_leaves_no_temporary_files() {
    save_png_batch(random_8bit(2, 3, 4, 4, 7), dir_, "t", kGraphTextKey, "graph");
    QCOMPARE(listing(dir_), (std::vector<std::string>{"t_00001.png", "t_00002.png"}));
  }

  void same_image_saves_same_bytes() {
    auto img = random_8bit(1, 3, 8, 8, 8);
    auto a = save_png_batch(img, dir_, "d", kGraphTextKey, "noisegraph: 1\n");
    auto b = save_png_batch(img, dir_, "d", kGraphTextKey, "noisegraph: 1\n");
    QCOMPARE(read_bytes(a[0]), read_bytes(b[0]));
  }

  void prefix_may_name_subfolders_but_not_escape() {
    auto paths = save_png_batch(random_8bit(1, 1, 2, 2, 9), dir_, "run1/cat", kGraphTextKey, "");
    QCOMPARE(paths[0], dir_ / "run1" / "cat_00001.png");
    QVERIFY(fs::exists(paths[0]));
    QVERIFY(!error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 9), dir_, "../up", kGraphTextKey, ""); }).empty());
    QVERIFY(!error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 9), dir_, "/abs", kGraphTextKey, ""); }).empty());
    QVERIFY(!error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 9), dir_, "", kGraphTextKey, ""); }).empty());
  }

  void output_folder_that_is_a_file_gives_clear_error() {
    const fs::path file = dir_ / "plain";
    std::ofstream(file) << "x";
    auto msg = error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 10), file / "out", "x", kGraphTextKey, ""); });
    QVERIFY2(QString::fromStdString(msg).startsWith("cannot create output folder"), msg.c_str());
    QVERIFY2(msg.find((file / "out").string()) != std::string::npos, msg.c_str());
    QCOMPARE(listing(dir_), (std::vector<std::string>{"plain"}));
  }

  void read_only_output_folder_gives_clear_error_and_no_files() {
    if (::geteuid() == 0) QSKIP("root ignores folder permissions; see write_failure_leaves_nothing_behind");
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
    auto msg = error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 11), dir_, "x", kGraphTextKey, ""); });
    fs::permissions(dir_, fs::perms::owner_all);
    QVERIFY2(QString::fromStdString(msg).startsWith("cannot write a new file in folder"), msg.c_str());
    QVERIFY2(msg.find(dir_.string()) != std::string::npos, msg.c_str());
    QVERIFY(listing(dir_).empty());
  }

  void write_failure_leaves_nothing_behind() {
    // Cap the file size this process may write (works as root too): the PNG encoder
    // fails part-way, after the temporary file exists.
    rlimit old{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 100;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto msg = error_of([&] { save_png_batch(random_8bit(1, 3, 64, 64, 12), dir_, "big", kGraphTextKey, ""); });
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(QString::fromStdString(msg).startsWith("cannot write a new file in folder"), msg.c_str());
    QVERIFY2(listing(dir_).empty(), listing(dir_).empty() ? "" : listing(dir_)[0].c_str());
  }

  // Issue 13 item 6: the system's reason (not "Unknown error"), and files finished before
  // the failure are reported.
  void a_write_failure_gives_the_system_reason_and_reports_earlier_files() {
    auto batch = at::cat({at::zeros({1, 3, 64, 64}), random_8bit(1, 3, 64, 64, 15)});  // tiny, then large
    rlimit old{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
    auto previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = 2000;  // the all-zero PNG fits, the noisy one does not
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    std::vector<fs::path> reported;
    auto msg = error_of([&] {
      save_png_batch(batch, dir_, "part", kGraphTextKey, "", [&](const fs::path& p) { reported.push_back(p); });
    });
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(msg.find(std::strerror(EFBIG)) != std::string::npos, msg.c_str());
    QCOMPARE(reported.size(), std::size_t(1));
    QCOMPARE(listing(dir_), (std::vector<std::string>{"part_00001.png"}));
  }

  void control_characters_in_the_prefix_are_refused_at_once() {
    for (const std::string prefix : {std::string("a\0b", 3), std::string("line\nbreak"), std::string("x\x7f")}) {
      auto msg = error_of([&] { save_png_batch(random_8bit(1, 1, 2, 2, 16), dir_, prefix, kGraphTextKey, ""); });
      QVERIFY2(msg.find("control character") != std::string::npos, msg.c_str());
    }
    QVERIFY(listing(dir_).empty());
  }

  void a_fifo_or_device_is_not_an_image() {
    const fs::path fifo = dir_ / "pipe.png";
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    QVERIFY(error_of([&] { load_image(fifo, ColourMode::Auto); }).find("not a regular file") != std::string::npos);
    QVERIFY(error_of([&] { load_image("/dev/zero", ColourMode::Auto); }).find("not a regular file") != std::string::npos);
    QVERIFY(!error_of([&] { read_embedded_graph(fifo); }).empty());
  }

  void pending_temporary_files_are_removed_by_a_signal_handler() {
    const fs::path a = dir_ / "a.part", b = dir_ / "b.part";
    std::ofstream(a) << "a";
    std::ofstream(b) << "b";
    ng::io::PendingFile pa(a);
    {
      ng::io::PendingFile pb(b);
      pb.release();  // published: no longer a temporary
    }
    ng::io::remove_pending_files();  // what the CLI calls before quitting on a second signal
    QVERIFY(!fs::exists(a));
    QVERIFY(fs::exists(b));
  }

  void embedded_graph_round_trips_through_png_text_chunk() {
    const std::string yaml =
        "noisegraph: 1\nnodes:\n  prompt:\n    type: value.string\n    params: {value: \"caf\xC3\xA9 \xE7\x8C\xAB\"}\n";
    auto paths = save_png_batch(random_8bit(2, 3, 4, 4, 13), dir_, "g", kGraphTextKey, yaml);
    for (const auto& p : paths) QCOMPARE(read_embedded_graph(p), yaml);
    // Without text there is nothing to read back.
    auto plain = save_png_batch(random_8bit(1, 3, 4, 4, 14), dir_, "p", kGraphTextKey, "");
    QCOMPARE(read_embedded_graph(plain[0]), std::string());
    QVERIFY(!error_of([&] { read_embedded_graph(dir_ / "missing.png"); }).empty());
  }

  void nan_and_out_of_range_values_are_clamped_on_save() {
    auto img = at::tensor({-0.5f, 1.5f, std::nanf("")}).view({1, 1, 1, 3});
    auto paths = save_png_batch(img, dir_, "c", kGraphTextKey, "");
    auto loaded = load_image(paths[0], ColourMode::Auto).image;
    QVERIFY(at::equal(loaded.flatten(), at::tensor({0.0f, 1.0f, 0.0f})));
  }
};

QTEST_APPLESS_MAIN(ImageIO)
#include "test_image_io.moc"
