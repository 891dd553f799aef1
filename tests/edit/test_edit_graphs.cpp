// The editing example graphs (graphs/edit-*.yaml, graphs/compose-*.yaml) run with the
// `noisegraph` CLI on the shipped models, as a user would. Slow (about a minute of CPU per
// graph); skipped when the shipped latent U-Net is not there yet.
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImage>
#include <QtTest/QtTest>

#include <cmath>

namespace {

constexpr int kTile = 32, kPad = 2;

struct Run {
  int code = -1;
  QStringList files;
  QString err;
};

Run run_graph(const QString& name, const QString& out_dir) {
  QProcess p;
  p.start(NG_CLI_BINARY, {"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/" + name, "--output-dir", out_dir, "--quiet"});
  if (!p.waitForFinished(600000)) p.kill();
  p.waitForFinished();
  Run r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.files = QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

QString file_with(const Run& r, const QString& part) {
  for (const auto& f : r.files)
    if (f.contains(part)) return f.trimmed();
  return {};
}

// Grey byte of pixel (x, y) of tile (row, col) in a grid of w x h tiles with kPad padding.
int px(const QImage& img, int row, int col, int x, int y, int w = kTile, int h = kTile) {
  return qGray(img.pixel(col * (w + kPad) + x, row * (h + kPad) + y));
}

// Mean absolute difference (in [0,1]) between two tiles of the same grid.
double tile_diff(const QImage& img, int r0, int c0, int r1, int c1) {
  double d = 0;
  for (int y = 0; y < kTile; ++y)
    for (int x = 0; x < kTile; ++x) d += std::abs(px(img, r0, c0, x, y) - px(img, r1, c1, x, y)) / 255.0;
  return d / (kTile * kTile);
}

}  // namespace

class TestEditGraphs : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void initTestCase() {
    if (!QFileInfo::exists(QString(NG_TEST_SOURCE_DIR) + "/models/fmnist-latent-unet.safetensors"))
      QSKIP("models/fmnist-latent-unet.safetensors is not there (train it with graphs/train/latent-unet.yaml)");
  }

  void img2img_graph_moves_away_from_the_input_as_strength_grows() {
    const Run r = run_graph("edit-img2img.yaml", tmp_.path() + "/img2img");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QImage img(file_with(r, "edit-img2img"));
    QCOMPARE(img.width(), 6 * kTile + 5 * kPad);  // input + strengths 0.2 .. 1.0
    QCOMPARE(img.height(), kTile);
    const double low = tile_diff(img, 0, 0, 0, 1), high = tile_diff(img, 0, 0, 0, 5);
    QVERIFY2(low < high, qPrintable(QString("strength 0.2: %1, strength 1: %2").arg(low).arg(high)));
    QVERIFY2(low < 0.1, qPrintable(QString::number(low)));  // VAE error + a light touch
  }

  void inpaint_graph_keeps_the_kept_half_exactly_in_pixels() {
    const Run r = run_graph("edit-inpaint.yaml", tmp_.path() + "/inpaint");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QImage img(file_with(r, "edit-inpaint"));
    QCOMPARE(img.width(), 5 * kTile + 4 * kPad);
    QCOMPARE(img.height(), 2 * kTile + kPad);
    // Rows 0..15 are outside the mask: image.composite returns the input's floats there, which
    // the PNG writer quantises exactly like the input tile (column 0): equal bytes.
    for (int row = 0; row < 2; ++row)
      for (int col = 2; col < 5; ++col) {
        for (int y = 0; y < 16; ++y)
          for (int x = 0; x < kTile; ++x)
            QVERIFY2(px(img, row, col, x, y) == px(img, row, 0, x, y), qPrintable(QString("tile %1,%2 (%3,%4)").arg(row).arg(col).arg(x).arg(y)));
        double lower = 0;  // the regenerated half is new content, not the shirt
        for (int y = 16; y < kTile; ++y)
          for (int x = 0; x < kTile; ++x) lower += std::abs(px(img, row, col, x, y) - px(img, row, 0, x, y)) / 255.0;
        QVERIFY(lower / (16 * kTile) > 0.02);
      }
  }

  void outpaint_graph_keeps_the_known_pixels_and_fills_the_new_ones() {
    const Run r = run_graph("edit-outpaint.yaml", tmp_.path() + "/outpaint");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QImage wide(file_with(r, "edit-outpaint-wide"));
    QCOMPARE(wide.width(), 64);
    QCOMPARE(wide.height(), 4 * kTile + 3 * kPad);  // shown input + 3 seeds
    for (int row = 1; row < 4; ++row) {
      int changed = 0;
      for (int y = 0; y < kTile; ++y) {
        for (int x = 0; x < 32; ++x) QCOMPARE(px(wide, row, 0, x, y, 64), px(wide, 0, 0, x, y, 64));
        for (int x = 32; x < 64; ++x) changed += px(wide, row, 0, x, y, 64) > 40;
      }
      QVERIFY2(changed > 50, qPrintable(QString("row %1: %2 bright pixels in the new half").arg(row).arg(changed)));
    }
    QImage down(file_with(r, "edit-outpaint-down"));
    QCOMPARE(down.width(), 4 * kTile + 3 * kPad);
  }

  void compose_graphs_write_wide_canvases() {
    const Run a = run_graph("compose-regions.yaml", tmp_.path() + "/regions");
    QVERIFY2(a.code == 0, qPrintable(a.err));
    QImage regions(file_with(a, "compose-regions"));
    QCOMPARE(regions.width(), 96);
    QCOMPARE(regions.height(), 4 * kTile + 3 * kPad);
    // Each third holds an item: some bright pixels in every third of every canvas.
    for (int row = 0; row < 4; ++row)
      for (int third = 0; third < 3; ++third) {
        int bright = 0;
        for (int y = 0; y < kTile; ++y)
          for (int x = 0; x < kTile; ++x) bright += px(regions, row, 0, third * kTile + x, y, 96) > 60;
        QVERIFY2(bright > 30, qPrintable(QString("canvas %1 third %2: %3").arg(row).arg(third).arg(bright)));
      }
    const Run b = run_graph("compose-latent.yaml", tmp_.path() + "/latent");
    QVERIFY2(b.code == 0, qPrintable(b.err));
    QImage latent(file_with(b, "compose-latent"));
    QCOMPARE(latent.width(), 96);
    QCOMPARE(latent.height(), 2 * kTile + kPad);
  }
};

QTEST_GUILESS_MAIN(TestEditGraphs)
#include "test_edit_graphs.moc"
