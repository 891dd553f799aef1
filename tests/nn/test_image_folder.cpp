// load_image_folder(): labelled PNGs as training data. PNGs of every colour type Qt
// writes decode to the expected grey values; bad folders and files are refused with an
// error naming them.
#include <ATen/ATen.h>
#include <QImage>
#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "noisegraph/error.hpp"
#include "noisegraph/train/dataset.hpp"
#include "noisegraph/train/train.hpp"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / "ng_test_image_folder" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A 28x28 colour image with seeded random pixels.
QImage random_image(unsigned seed, int size = 28) {
  std::mt19937 rng(seed);
  QImage img(size, size, QImage::Format_RGB888);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) img.setPixelColor(x, y, QColor(int(rng() % 256), int(rng() % 256), int(rng() % 256)));
  return img;
}

int luminance(QRgb c) { return int(std::lround(0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c))); }

void save(const QImage& img, const fs::path& file) {
  fs::create_directories(file.parent_path());
  QVERIFY(img.save(QString::fromStdString(file.string()), "PNG"));
}

QString error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ng::Error& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

}  // namespace

class TestImageFolder : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void every_png_colour_type_reads_as_its_grey_values() {
    const auto dir = fresh_dir("formats");
    const QImage colour = random_image(1);
    const QImage grey = colour.convertToFormat(QImage::Format_Grayscale8);
    struct Case {
      const char* name;
      QImage image;
      bool is_grey;
    };
    const std::vector<Case> cases = {
        {"a_grey8", grey, true},
        {"b_grey16", grey.convertToFormat(QImage::Format_Grayscale16), true},
        {"c_rgb", colour, false},
        {"d_argb", colour.convertToFormat(QImage::Format_ARGB32), false},
        {"e_rgba64", colour.convertToFormat(QImage::Format_RGBA64), false},
        {"f_palette", colour.convertToFormat(QImage::Format_Indexed8), false},
    };
    for (const auto& c : cases) save(c.image, dir / "4" / (std::string(c.name) + ".png"));
    const auto data = ng::train::load_image_folder(dir);
    QCOMPARE(data.size(), int64_t(cases.size()));
    QCOMPARE(data.pixels.sizes(), (at::IntArrayRef{int64_t(cases.size()), 28, 28}));
    for (size_t i = 0; i < cases.size(); ++i) {
      QCOMPARE(data.labels[int64_t(i)].item<int64_t>(), int64_t(4));
      const QImage rgb = cases[i].image.convertToFormat(QImage::Format_ARGB32);
      int mismatches = 0;
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
          const int want = cases[i].is_grey ? qRed(rgb.pixel(x, y)) : luminance(rgb.pixel(x, y));
          mismatches += data.pixels[int64_t(i)][y][x].item<uint8_t>() != want;
        }
      QVERIFY2(mismatches == 0, cases[i].name);
    }
  }

  void labels_come_from_folders_in_order_and_test_is_held_out() {
    const auto dir = fresh_dir("labels");
    save(random_image(2).convertToFormat(QImage::Format_Grayscale8), dir / "7" / "b.png");
    save(random_image(3).convertToFormat(QImage::Format_Grayscale8), dir / "7" / "a.png");
    save(random_image(4).convertToFormat(QImage::Format_Grayscale8), dir / "0" / "z.png");
    save(random_image(5).convertToFormat(QImage::Format_Grayscale8), dir / "test" / "2" / "t.png");
    std::ofstream(dir / "7" / "notes.txt") << "not an image";  // other files are ignored
    auto data = ng::train::load_image_folder(dir);
    QCOMPARE(data.size(), int64_t(3));
    QCOMPARE(data.labels[0].item<int64_t>(), int64_t(0));
    QCOMPARE(data.labels[1].item<int64_t>(), int64_t(7));
    // "7/a.png" before "7/b.png"
    QCOMPARE(data.pixels[1][0][0].item<uint8_t>(),
             uint8_t(qGray(random_image(3).convertToFormat(QImage::Format_Grayscale8).pixel(0, 0))));
    QCOMPARE(ng::train::load_image_folder(dir, 2).size(), int64_t(2));

    ng::train::CommonConfig c;
    c.data_folder = dir;
    QCOMPARE(ng::train::training_data(c).size(), int64_t(3));
    auto test = ng::train::test_data(c, 0);
    QCOMPARE(test.size(), int64_t(1));
    QCOMPARE(test.labels[0].item<int64_t>(), int64_t(2));
    QVERIFY(QString::fromStdString(ng::train::data_description(c, 3)).startsWith("PNG folder"));
  }

  void bad_folders_and_files_are_named_in_the_error() {
    const auto dir = fresh_dir("bad");
    QVERIFY(error_of([&] { ng::train::load_image_folder(dir / "missing"); }).contains("not found"));
    QVERIFY(error_of([&] { ng::train::load_image_folder(dir); }).contains("no PNG images"));

    save(random_image(6), dir / "shirts" / "a.png");
    QVERIFY(error_of([&] { ng::train::load_image_folder(dir); }).contains("shirts"));
    fs::remove_all(dir / "shirts");

    save(random_image(7, 32), dir / "1" / "big.png");
    auto e = error_of([&] { ng::train::load_image_folder(dir); });
    QVERIFY2(e.contains("big.png") && e.contains("32x32") && e.contains("28x28"), qPrintable(e));
    fs::remove_all(dir / "1");

    save(random_image(8), dir / "2" / "cut.png");
    const auto good_size = fs::file_size(dir / "2" / "cut.png");
    fs::resize_file(dir / "2" / "cut.png", good_size / 2);
    e = error_of([&] { ng::train::load_image_folder(dir); });
    QVERIFY2(e.contains("cut.png") && e.contains("truncated"), qPrintable(e));

    save(random_image(8), dir / "2" / "cut.png");
    {  // flip one byte inside the image data: the chunk CRC no longer matches
      std::fstream f(dir / "2" / "cut.png", std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(std::streamoff(good_size - 20));
      char ch = 0;
      f.read(&ch, 1);
      f.seekp(std::streamoff(good_size - 20));
      ch = char(ch ^ 0x5A);
      f.write(&ch, 1);
    }
    e = error_of([&] { ng::train::load_image_folder(dir); });
    QVERIFY2(e.contains("cut.png") && e.contains("CRC"), qPrintable(e));

    fs::remove(dir / "2" / "cut.png");
    std::ofstream(dir / "2" / "text.png") << "hello";
    e = error_of([&] { ng::train::load_image_folder(dir); });
    QVERIFY2(e.contains("text.png") && e.contains("not a PNG"), qPrintable(e));
  }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "test_image_folder.moc"
