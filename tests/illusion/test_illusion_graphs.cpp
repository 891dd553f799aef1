// The four shipped illusion graphs, run with the `noisegraph` CLI as a user would (3 steps
// instead of 20, through the graphs' `steps` input, so the suite stays fast). Each writes an
// 8-column grid: the illusions on the first row, the second reading below them. The second
// row must be exactly the first one seen through the graph's view.
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImage>
#include <QtTest/QtTest>

#include <algorithm>
#include <functional>
#include <vector>

namespace {

constexpr int kTile = 32, kPad = 2, kColumns = 8;

struct Run {
  int code = -1;
  QStringList files;
  QString err;
};

Run run_graph(const QString& name, const QString& out_dir) {
  QProcess p;
  p.start(NG_CLI_BINARY, QStringList{"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/" + name, "steps=3", "--output-dir",
                                     out_dir, "--quiet"});
  if (!p.waitForFinished(240000)) p.kill();
  p.waitForFinished();
  Run r{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, {}, QString::fromUtf8(p.readAllStandardError())};
  for (const auto& line : QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts))
    r.files << line.trimmed();
  return r;
}

// Grey level (0-255) of pixel (x, y) of tile (row, col) of the grid.
int grey(const QImage& grid, int row, int col, int x, int y) {
  return qGray(grid.pixel(col * (kTile + kPad) + x, row * (kTile + kPad) + y));
}

// Checks the grid's shape, then that every tile of row 2 is `view` of the tile above it:
// view(x, y) gives the row-1 pixel that lands at (x, y). Returns the largest difference.
int largest_view_error(const QImage& grid, const std::function<QPoint(int, int)>& view) {
  int worst = 0;
  for (int col = 0; col < kColumns; ++col)
    for (int y = 0; y < kTile; ++y)
      for (int x = 0; x < kTile; ++x) {
        const QPoint src = view(x, y);
        worst = std::max(worst, std::abs(grey(grid, 1, col, x, y) - grey(grid, 0, col, src.x(), src.y())));
      }
  return worst;
}

QImage checked_grid(const QString& file) {
  QImage grid(file);
  if (grid.width() != kColumns * kTile + (kColumns - 1) * kPad || grid.height() != 2 * kTile + kPad) return {};
  return grid;
}

// Mean absolute difference between horizontally neighbouring pixels of a row of tiles.
double roughness(const QImage& grid, int row) {
  double sum = 0;
  int n = 0;
  for (int col = 0; col < kColumns; ++col)
    for (int y = 0; y < kTile; ++y)
      for (int x = 1; x < kTile; ++x, ++n) sum += std::abs(grey(grid, row, col, x, y) - grey(grid, row, col, x - 1, y));
  return sum / n;
}

}  // namespace

class TestIllusionGraphs : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;

 private Q_SLOTS:
  void flip_graph_shows_each_illusion_upside_down_in_pixel_and_latent_space() {
    const Run r = run_graph("illusion-flip.yaml", tmp_.path() + "/flip");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.files.size(), 2);  // pixel model, then latent model
    for (const auto& file : r.files) {
      const QImage grid = checked_grid(file);
      QVERIFY2(!grid.isNull(), qPrintable(file));
      const int err = largest_view_error(grid, [](int x, int y) { return QPoint(x, kTile - 1 - y); });
      QVERIFY2(err <= 1, qPrintable(QString("%1: %2 grey levels").arg(file).arg(err)));
    }
  }

  void rotate_graph_shows_each_illusion_turned_a_quarter() {
    const Run r = run_graph("illusion-rotate.yaml", tmp_.path() + "/rotate");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.files.size(), 1);
    const QImage grid = checked_grid(r.files[0]);
    QVERIFY(!grid.isNull());
    // rot90 turns counter-clockwise: the pixel at (x, y) comes from (W-1-y, x).
    const int err = largest_view_error(grid, [](int x, int y) { return QPoint(kTile - 1 - y, x); });
    QVERIFY2(err <= 1, qPrintable(QString("%1 grey levels").arg(err)));
  }

  void jigsaw_graph_shows_the_same_pixels_rearranged() {
    const Run r = run_graph("illusion-jigsaw.yaml", tmp_.path() + "/jigsaw");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QImage grid = checked_grid(r.files.value(0));
    QVERIFY(!grid.isNull());
    int moved = 0;
    for (int col = 0; col < kColumns; ++col) {
      std::vector<int> above, below;
      for (int y = 0; y < kTile; ++y)
        for (int x = 0; x < kTile; ++x) {
          above.push_back(grey(grid, 0, col, x, y));
          below.push_back(grey(grid, 1, col, x, y));
          moved += above.back() != below.back();
        }
      std::sort(above.begin(), above.end());
      std::sort(below.begin(), below.end());
      QVERIFY2(above == below, qPrintable(QString("column %1: the second reading is not a permutation").arg(col)));
    }
    QVERIFY2(moved > kColumns * kTile * kTile / 4, "the tiles did not move");
  }

  void hybrid_graph_shows_each_image_and_its_view_from_afar() {
    const Run r = run_graph("illusion-hybrid.yaml", tmp_.path() + "/hybrid");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QImage grid = checked_grid(r.files.value(0));
    QVERIFY(!grid.isNull());
    // From afar (8x8 and back up) the fine detail is gone.
    QVERIFY2(roughness(grid, 1) < 0.6 * roughness(grid, 0),
             qPrintable(QString("%1 vs %2").arg(roughness(grid, 1)).arg(roughness(grid, 0))));
  }
};

QTEST_GUILESS_MAIN(TestIllusionGraphs)
#include "test_illusion_graphs.moc"
