// The SDK's PNG codec (io/png.hpp) against independent references: fixtures written by
// ImageMagick with the pixels ImageMagick decodes from them (tests/data/png/README.md),
// and Qt's PNG reader and writer for the text chunks.
#include <ATen/ATen.h>
#include <QBuffer>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "noisegraph/error.hpp"
#include "ng_test/error_of.hpp"
#include "noisegraph/io/png.hpp"

namespace fs = std::filesystem;
using ng::io::PngImage;

namespace {

const fs::path kFixtures = fs::path(NG_TEST_DATA_DIR) / "png";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ImageMagick's decode of a fixture: [4,H,W] (R,G,B,A) in [0,1] from 16-bit big-endian.
at::Tensor reference_rgba(const std::string& name, int64_t h, int64_t w) {
  const std::string raw = read_bytes(kFixtures / (name + ".rgba"));
  if (int64_t(raw.size()) != h * w * 8) return {};
  auto out = at::empty({h, w, 4}, at::kDouble);
  double* o = out.data_ptr<double>();
  for (int64_t i = 0; i < h * w * 4; ++i)
    o[i] = double((uint32_t(uint8_t(raw[2 * i])) << 8) | uint8_t(raw[2 * i + 1])) / 65535.0;
  return out.permute({2, 0, 1});
}

using ng_test::error_of;

// The chunk types of a PNG, in file order.
std::vector<std::string> chunk_types(const std::string& png) {
  std::vector<std::string> out;
  for (std::size_t p = 8; p + 8 <= png.size();) {
    const auto* b = reinterpret_cast<const unsigned char*>(png.data() + p);
    const std::size_t n = (std::size_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
    out.push_back(png.substr(p + 4, 4));
    p += n + 12;
  }
  return out;
}

QImage qimage_of(const std::string& png) {
  return QImage::fromData(reinterpret_cast<const uchar*>(png.data()), int(png.size()), "PNG");
}

}  // namespace

class Png : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void every_colour_type_and_depth_decodes_to_imagemagicks_pixels_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("colour_type");
    QTest::addColumn<bool>("interlaced");
    QTest::addColumn<int>("channels");
    QTest::addColumn<bool>("alpha");
    QTest::newRow("grey 1-bit") << "grey1" << 1 << 0 << false << 1 << false;
    QTest::newRow("grey 2-bit") << "grey2" << 2 << 0 << false << 1 << false;
    QTest::newRow("grey 4-bit") << "grey4" << 4 << 0 << false << 1 << false;
    QTest::newRow("grey 8-bit") << "grey8" << 8 << 0 << false << 1 << false;
    QTest::newRow("grey 16-bit") << "grey16" << 16 << 0 << false << 1 << false;
    QTest::newRow("grey 16-bit Adam7") << "grey16_adam7" << 16 << 0 << true << 1 << false;
    QTest::newRow("grey 8-bit tRNS key") << "grey8_key" << 8 << 0 << false << 1 << true;
    QTest::newRow("grey+alpha 8-bit") << "greyalpha8" << 8 << 4 << false << 1 << true;
    QTest::newRow("RGB 8-bit") << "rgb8" << 8 << 2 << false << 3 << false;
    QTest::newRow("RGB 16-bit") << "rgb16" << 16 << 2 << false << 3 << false;
    QTest::newRow("RGB 8-bit Adam7") << "rgb8_adam7" << 8 << 2 << true << 3 << false;
    QTest::newRow("RGBA 8-bit") << "rgba8" << 8 << 6 << false << 3 << true;
    QTest::newRow("RGBA 16-bit") << "rgba16" << 16 << 6 << false << 3 << true;
    QTest::newRow("palette 2-bit") << "palette2" << 2 << 3 << false << 3 << false;
    QTest::newRow("palette 4-bit tRNS") << "palette4_trns" << 4 << 3 << false << 3 << true;
    QTest::newRow("palette 8-bit tRNS Adam7") << "palette8_trns_adam7" << 8 << 3 << true << 3 << true;
  }
  void every_colour_type_and_depth_decodes_to_imagemagicks_pixels() {
    QFETCH(QString, name);
    QFETCH(int, depth);
    QFETCH(int, colour_type);
    QFETCH(bool, interlaced);
    QFETCH(int, channels);
    QFETCH(bool, alpha);
    const PngImage png = ng::io::read_png(kFixtures / (name.toStdString() + ".png"));
    QCOMPARE(png.header.width, 7u);
    QCOMPARE(png.header.height, 5u);
    QCOMPARE(png.header.bit_depth, depth);
    QCOMPARE(png.header.colour_type, colour_type);
    QCOMPARE(png.header.interlaced, interlaced);
    QCOMPARE(png.colour.sizes().vec(), (std::vector<int64_t>{channels, 5, 7}));
    QCOMPARE(png.alpha.defined(), alpha);
    const at::Tensor want = reference_rgba(name.toStdString(), 5, 7);
    QVERIFY2(want.defined(), "missing or short .rgba reference");
    // Both sides hold k / (2^depth - 1) exactly (ImageMagick scales every depth to 16 bits
    // by an exact integer factor); 1e-6 covers the float32 rounding of the decoder.
    const at::Tensor got = png.colour.to(at::kDouble);
    QVERIFY((got - want.narrow(0, 0, channels)).abs().max().item<double>() < 1e-6);
    const at::Tensor got_alpha = alpha ? png.alpha.to(at::kDouble) : at::ones({1, 5, 7}, at::kDouble);
    QVERIFY((got_alpha - want.narrow(0, 3, 1)).abs().max().item<double>() < 1e-6);
    // Header-and-text mode inflates and checks the same data without keeping pixels.
    const PngImage header_only = ng::io::read_png(kFixtures / (name.toStdString() + ".png"), {int64_t(1) << 28, false});
    QVERIFY(!header_only.colour.defined() && !header_only.alpha.defined());
    QCOMPARE(header_only.header.interlaced, interlaced);
    if (alpha) {  // the fixtures with transparency have both clear and opaque pixels
      QCOMPARE(png.alpha.min().item<float>(), 0.0f);
      QCOMPARE(png.alpha.max().item<float>(), 1.0f);
    }
  }

  void a_transparent_key_pixel_keeps_its_grey_value() {
    const PngImage png = ng::io::read_png(kFixtures / "grey8_key.png");
    QCOMPARE(png.alpha[0][0][0].item<float>(), 0.0f);       // the key colour is the top-left pixel's
    QVERIFY(png.colour[0][0][0].item<float>() > 0.5f);       // a light grey (213/255), not zeroed
  }

  void text_chunks_written_by_imagemagick_are_read() {
    const PngImage png = ng::io::read_png(kFixtures / "text.png");
    QCOMPARE(png.text.at("Title"), std::string("short title"));
    QCOMPARE(png.text.at("comment"), std::string("a comment of two lines\nthe second line"));
    const PngImage text_only = ng::io::read_png(kFixtures / "text.png", {int64_t(1) << 28, false});
    QVERIFY(!text_only.colour.defined());
    QCOMPARE(text_only.text, png.text);
  }

  void encoded_pixels_decode_exactly_for_every_channel_count() {
    for (int64_t c = 1; c <= 4; ++c) {
      auto gen = at::make_generator<at::CPUGeneratorImpl>(uint64_t(c));
      const at::Tensor img = at::randint(0, 256, {c, 6, 9}, gen, at::kFloat).div_(255.0);
      const PngImage back = ng::io::decode_png(ng::io::encode_png(img));
      const int64_t colour = c <= 2 ? 1 : 3;
      QCOMPARE(back.header.colour_type, c == 1 ? 0 : c == 2 ? 4 : c == 3 ? 2 : 6);
      QVERIFY(at::equal(back.colour, img.narrow(0, 0, colour)));
      if (c == 2 || c == 4) QVERIFY(at::equal(back.alpha, img.narrow(0, c - 1, 1)));
      // Qt decodes the same pixels (an independent reader).
      const QImage q = qimage_of(ng::io::encode_png(img));
      QCOMPARE(q.width(), 9);
      const QRgb p = q.pixel(2, 3);
      const float r = img[0][3][2].item<float>();
      QCOMPARE(qRed(p), int(std::lround(r * 255)));
    }
  }

  void text_chunks_round_trip_and_qt_reads_them() {
    const std::map<std::string, std::string> text = {
        {"short", "a few words"},
        {"noisegraph", "noisegraph: 1\nnodes:\n  a:\n    type: value.int\n    params: {value: 3}\n"},
        {"utf8", "caf\xC3\xA9 \xE7\x8C\xAB"},
    };
    const std::string png = ng::io::encode_png(at::zeros({1, 2, 2}), text);
    QCOMPARE(ng::io::decode_png(png).text, text);
    // Short ASCII as tEXt, 40 bytes and more compressed (zTXt), non-ASCII as iTXt: what Qt
    // wrote before, so older readers keep working.
    const auto types = chunk_types(png);
    QCOMPARE(std::count(types.begin(), types.end(), "tEXt"), 1l);
    QCOMPARE(std::count(types.begin(), types.end(), "zTXt"), 1l);
    QCOMPARE(std::count(types.begin(), types.end(), "iTXt"), 1l);
    const QImage q = qimage_of(png);
    for (const auto& [k, v] : text) QCOMPARE(q.text(QString::fromStdString(k)).toStdString(), v);
  }

  void text_written_by_qt_is_read() {
    QImage q(3, 2, QImage::Format_RGB888);
    q.fill(Qt::red);
    const QString yaml = QString::fromUtf8("noisegraph: 1\nprompt: \"caf\xC3\xA9 \xE7\x8C\xAB and a long tail of text\"\n");
    q.setText("noisegraph", yaml);
    q.setText("k", "v");
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(q.save(&buffer, "PNG"));
    const PngImage png = ng::io::decode_png(std::string(bytes.constData(), size_t(bytes.size())));
    QCOMPARE(png.text.at("noisegraph"), yaml.toStdString());
    QCOMPARE(png.text.at("k"), std::string("v"));
    QCOMPARE(png.colour[0][1][2].item<float>(), 1.0f);
  }

  void same_image_encodes_to_same_bytes() {
    const at::Tensor img = at::rand({3, 8, 8});
    QCOMPARE(ng::io::encode_png(img, {{"k", "v"}}), ng::io::encode_png(img, {{"k", "v"}}));
  }

  void bad_text_keys_and_shapes_are_refused() {
    QVERIFY(error_of([] { ng::io::encode_png(at::zeros({1, 2, 2}), {{"", "x"}}); }).find("text key") != std::string::npos);
    QVERIFY(!error_of([] { ng::io::encode_png(at::zeros({1, 2, 2}), {{std::string(80, 'k'), "x"}}); }).empty());
    QVERIFY(!error_of([] { ng::io::encode_png(at::zeros({5, 2, 2})); }).empty());
    QVERIFY(!error_of([] { ng::io::encode_png(at::zeros({2, 2})); }).empty());
  }

  void a_truncated_file_is_refused_wherever_it_is_cut() {
    const std::string whole = read_bytes(kFixtures / "rgba16.png");
    for (std::size_t keep : {std::size_t(0), std::size_t(5), std::size_t(20), std::size_t(40), whole.size() / 2,
                             whole.size() - 13, whole.size() - 1}) {
      const std::string msg = error_of([&] { ng::io::decode_png(std::string_view(whole).substr(0, keep)); });
      QVERIFY2(!msg.empty(), qPrintable(QString("cut at %1 was accepted").arg(keep)));
      QVERIFY2(msg.find('\n') == std::string::npos, msg.c_str());
      if (keep >= 8) QVERIFY2(msg.find("truncated") != std::string::npos, msg.c_str());
    }
  }

  void a_bad_crc_is_refused_in_critical_and_text_chunks() {
    // IDAT is the chunk before the 12-byte IEND; its CRC is the 4 bytes before IEND.
    std::string png = read_bytes(kFixtures / "rgb8.png");
    png[png.size() - 12 - 1] ^= 0x01;
    std::string msg = error_of([&] { ng::io::decode_png(png); });
    QVERIFY2(msg.find("chunk IDAT has a bad CRC") != std::string::npos, msg.c_str());
    // A damaged byte inside the compressed data: named as the CRC failure it is, not as
    // the zlib error that inflating it would meet first.
    png = read_bytes(kFixtures / "rgb8.png");
    png[png.size() - 12 - 20] ^= 0x01;
    msg = error_of([&] { ng::io::decode_png(png); });
    QVERIFY2(msg.find("chunk IDAT has a bad CRC") != std::string::npos, msg.c_str());

    std::string text = read_bytes(kFixtures / "text.png");
    const std::size_t at = text.find("short title");
    QVERIFY(at != std::string::npos);
    text[at] = 'S';
    msg = error_of([&] { ng::io::decode_png(text); });
    QVERIFY2(msg.find("bad CRC") != std::string::npos, msg.c_str());
  }

  void not_a_png_and_huge_headers_are_refused() {
    QVERIFY(error_of([] { ng::io::decode_png("GIF89a and more bytes"); }).find("not a PNG") != std::string::npos);
    // An 8-bit grey header claiming 100000 x 100000: refused before any pixel is inflated.
    std::string png = read_bytes(kFixtures / "grey8.png");
    const char huge[8] = {0, 1, char(0x86), char(0xA0), 0, 1, char(0x86), char(0xA0)};
    std::memcpy(&png[16], huge, 8);
    // ...with a correct CRC, so the size is what is refused.
    const uint32_t crc = uint32_t(crc32_of(png.substr(12, 17)));
    for (int i = 0; i < 4; ++i) png[29 + i] = char((crc >> (24 - 8 * i)) & 0xFF);
    std::string msg = error_of([&] { ng::io::decode_png(png); });
    QVERIFY2(msg.find("at most 268 megapixels") != std::string::npos, msg.c_str());
    msg = error_of([] { ng::io::read_png(kFixtures / "rgb8.png", {20, true}); });
    QVERIFY2(msg.find("megapixels") != std::string::npos, msg.c_str());
    QVERIFY2(msg.find("rgb8.png") != std::string::npos, msg.c_str());
  }

  void a_missing_file_is_named() {
    const std::string msg = error_of([] { ng::io::read_png(kFixtures / "absent.png"); });
    QVERIFY2(msg.find("absent.png") != std::string::npos, msg.c_str());
  }

 private:
  static unsigned long crc32_of(const std::string& s) {
    // CRC-32 as ISO/IEC 15948 Annex D defines it, written out here so the test does not
    // lean on the zlib the codec links.
    unsigned long c = 0xFFFFFFFFul;
    for (unsigned char b : s) {
      c ^= b;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320ul ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFul;
  }
};

QTEST_APPLESS_MAIN(Png)
#include "test_png.moc"
