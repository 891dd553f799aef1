// The example graphs of the diffusion nodes, run with the `noisegraph` CLI as a user would.
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImage>
#include <QtTest/QtTest>

#include <cmath>

namespace {

struct Run {
  int code = -1;
  QString out, err;
};

Run run_graph(const QString& name, const QString& out_dir, const QStringList& extra = {}) {
  QProcess p;
  const QString path = name.startsWith('/') ? name : QString(NG_TEST_SOURCE_DIR) + "/graphs/" + name;
  p.start(NG_CLI_BINARY, QStringList{"run", path, "--output-dir", out_dir, "--quiet"} + extra);
  if (!p.waitForFinished(120000)) p.kill();
  p.waitForFinished();
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

// Grey value in [0,1] of tile (row, col) of a grid of 28x28 tiles with 2-pixel padding.
double tile_pixel(const QImage& img, int row, int col, int y, int x) {
  return qGray(img.pixel(col * 30 + x, row * 30 + y)) / 255.0;
}

}  // namespace

class TestGraphs : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void forward_process_graph_writes_one_strip_per_schedule() {
    const Run r = run_graph("forward-process.yaml", tmp_.path() + "/fwd");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString file = r.out.trimmed();
    QVERIFY2(file.endsWith(".png"), qPrintable(r.out));
    QImage img(file);
    QCOMPARE(img.width(), 10 * 28 + 9 * 2);  // 10 frames
    QCOMPARE(img.height(), 3 * 28 + 2 * 2);  // linear, cosine, scaled_linear
    // The last frame of every row is (almost) pure noise around grey 0.5, the first is the
    // clean shirt: its corner pixel is background (black in Fashion-MNIST).
    for (int row = 0; row < 3; ++row) {
      QVERIFY(tile_pixel(img, row, 0, 0, 0) < 0.05);
      double mean = 0;
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) mean += tile_pixel(img, row, 9, y, x) / (28 * 28);
      QVERIFY2(std::abs(mean - 0.5) < 0.1, qPrintable(QString::number(mean)));
    }
  }

  void generate_rows_give_the_pixels_of_one_sampler_per_prompt() {
    // graphs/generate.yaml with three prompt rows of two images, against the same three
    // prompts each with its own sampler (seeds 0, 2, 4): the same pixels, bit for bit.
    const Run rows = run_graph("generate.yaml", tmp_.path() + "/rows",
                               {"prompts=a bag\na sneaker\na dress", "images=6", "steps=4", "--threads", "1"});
    QVERIFY2(rows.code == 0, qPrintable(rows.err));
    const Run each = run_graph(QString(NG_TEST_SOURCE_DIR) + "/tests/data/graphs/generate-per-prompt.yaml",
                               tmp_.path() + "/each", {"--threads", "1"});
    QVERIFY2(each.code == 0, qPrintable(each.err));
    const QImage a(rows.out.trimmed()), b(each.out.trimmed());
    QCOMPARE(a.size(), QSize(4 * 32 + 3 * 2, 2 * 32 + 2));  // six 32x32 images, four columns
    QCOMPARE(a.convertToFormat(QImage::Format_Grayscale8), b.convertToFormat(QImage::Format_Grayscale8));
    // Rows do depend on their prompt: the bag row differs from the sneaker row.
    QVERIFY(a.copy(0, 0, 32, 32) != a.copy(2 * 34, 0, 32, 32));
  }

  void sampler_compare_graph_lands_every_sampler_on_a_data_image() {
    const Run r = run_graph("sampler-compare.yaml", tmp_.path() + "/cmp");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QImage img(r.out.trimmed());
    QCOMPARE(img.width(), 4 * 28 + 3 * 2);   // batch of 4
    QCOMPARE(img.height(), 6 * 28 + 5 * 2);  // six samplers
    QImage data[3] = {QImage(QString(NG_TEST_SOURCE_DIR) + "/graphs/examples/shirt.png"),
                      QImage(QString(NG_TEST_SOURCE_DIR) + "/graphs/examples/bag.png"),
                      QImage(QString(NG_TEST_SOURCE_DIR) + "/graphs/examples/sneaker.png")};
    // The exact denoiser of three points sends every trajectory to one of them; 8 steps
    // leave at most a few grey levels of error (tolerance: mean abs difference 0.03).
    for (int row = 0; row < 6; ++row) {
      for (int col = 0; col < 4; ++col) {
        double best = 1e9;
        for (const auto& d : data) {
          double diff = 0;
          for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) diff += std::abs(tile_pixel(img, row, col, y, x) - qGray(d.pixel(x, y)) / 255.0);
          best = std::min(best, diff / (28 * 28));
        }
        QVERIFY2(best < 0.03, qPrintable(QString("row %1 col %2: %3").arg(row).arg(col).arg(best)));
      }
    }
  }
};

QTEST_GUILESS_MAIN(TestGraphs)
#include "test_graphs.moc"
