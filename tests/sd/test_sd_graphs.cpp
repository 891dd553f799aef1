// The graphs/sd/ example graphs run with the `noisegraph` CLI on the tiny SD 1.x test
// checkpoint (random weights, so the pictures are noise-like: these tests check sizes,
// what must stay untouched, and reproducibility, not beauty).
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtGui/QImage>
#include <QtTest/QtTest>

namespace {

struct Run {
  int code = -1;
  QString file, err;
};

Run run_graph(const QString& graph, const QString& out_dir, const QStringList& sets) {
  QStringList args{"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/sd/" + graph, "--output-dir", out_dir, "--quiet",
                   "--set", QString("checkpoint.path=") + NG_TEST_DATA_DIR + "/sd1-tiny/checkpoint-fp16.safetensors"};
  for (const auto& s : sets) args << "--set" << s;
  QProcess p;
  p.start(NG_CLI_BINARY, args);
  if (!p.waitForFinished(600000)) p.kill();
  p.waitForFinished();
  Run r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  for (const auto& line : QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts))
    if (line.trimmed().endsWith(".png")) r.file = line.trimmed();
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

QByteArray bytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Largest per-channel difference (0..255) between two images inside a rectangle.
int max_diff(const QImage& a, const QImage& b, const QRect& r) {
  int d = 0;
  for (int y = r.top(); y <= r.bottom(); ++y)
    for (int x = r.left(); x <= r.right(); ++x) {
      const QRgb p = a.pixel(x, y), q = b.pixel(x, y);
      d = std::max({d, std::abs(qRed(p) - qRed(q)), std::abs(qGreen(p) - qGreen(q)), std::abs(qBlue(p) - qBlue(q))});
    }
  return d;
}

}  // namespace

class TestSdGraphs : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir tmp_;
  QString dir(const char* name) const { return tmp_.path() + "/" + name; }

 private Q_SLOTS:
  void txt2img_gives_the_requested_size_and_the_same_bytes_twice() {
    const QStringList sets{"latent.width=128", "latent.height=96", "sample.steps=3", "prompt.text=a (red:1.3) fox"};
    const Run a = run_graph("txt2img.yaml", dir("t2i-a"), sets);
    QVERIFY2(a.code == 0, qPrintable(a.err));
    const Run b = run_graph("txt2img.yaml", dir("t2i-b"), sets);
    QVERIFY2(b.code == 0, qPrintable(b.err));
    const QImage img(a.file);
    QCOMPARE(img.size(), QSize(128, 96));
    QVERIFY(img.allGray() == false);
    QCOMPARE(bytes(a.file), bytes(b.file));
    const Run c = run_graph("txt2img.yaml", dir("t2i-c"), sets + QStringList{"sample.seed=43"});
    QVERIFY2(c.code == 0, qPrintable(c.err));
    QVERIFY(bytes(a.file) != bytes(c.file));
  }

  void a_missing_checkpoint_path_fails_with_one_clear_line() {
    QProcess p;
    p.start(NG_CLI_BINARY, {"run", QString(NG_TEST_SOURCE_DIR) + "/graphs/sd/txt2img.yaml", "--output-dir",
                            dir("none"), "--quiet"});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY(p.exitCode() != 0);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    QVERIFY2(err.contains("checkpoint") && err.contains("path"), qPrintable(err));
    QVERIFY2(!err.contains("frame #"), qPrintable(err));  // no raw backtrace
  }

  void img2img_keeps_the_input_size() {
    const Run r = run_graph("img2img.yaml", dir("i2i"), {"fit.width=128", "sample.steps=3"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(QImage(r.file).size(), QSize(128, 128));
  }

  void inpaint_changes_only_the_masked_box() {
    const QStringList box{"fit.width=128", "mask.width=128", "mask.height=128", "mask.x=32", "mask.y=32",
                          "mask.box_width=64", "mask.box_height=64", "sample.steps=3"};
    const Run a = run_graph("inpaint.yaml", dir("inp-a"), box + QStringList{"sample.seed=1"});
    QVERIFY2(a.code == 0, qPrintable(a.err));
    const Run b = run_graph("inpaint.yaml", dir("inp-b"), box + QStringList{"sample.seed=2"});
    QVERIFY2(b.code == 0, qPrintable(b.err));
    const QImage ia(a.file), ib(b.file);
    QCOMPARE(ia.size(), QSize(128, 128));
    QCOMPARE(max_diff(ia, ib, QRect(0, 0, 128, 32)), 0);    // above the box: the input, exactly
    QCOMPARE(max_diff(ia, ib, QRect(0, 96, 128, 32)), 0);   // below it
    QVERIFY(max_diff(ia, ib, QRect(32, 32, 64, 64)) > 10);  // inside: generated per seed
  }

  void outpaint_extends_the_canvas_and_keeps_the_original() {
    const QStringList sets{"fit.width=128", "pad.right=64", "pad.feather=16", "sample.steps=3"};
    const Run a = run_graph("outpaint.yaml", dir("out-a"), sets + QStringList{"sample.seed=1"});
    QVERIFY2(a.code == 0, qPrintable(a.err));
    const Run b = run_graph("outpaint.yaml", dir("out-b"), sets + QStringList{"sample.seed=2"});
    QVERIFY2(b.code == 0, qPrintable(b.err));
    const QImage ia(a.file), ib(b.file);
    QCOMPARE(ia.size(), QSize(192, 128));
    QCOMPARE(max_diff(ia, ib, QRect(0, 0, 128 - 16, 128)), 0);  // the original, outside the feathered seam
    QVERIFY(max_diff(ia, ib, QRect(128, 0, 64, 128)) > 10);
  }

  void regions_fill_a_wide_canvas() {
    const Run r = run_graph("regions.yaml", dir("reg"),
                            {"wide.tile_width=128", "wide.tile_height=128", "left_area.width=128", "left_area.height=128",
                             "right_area.x=128", "right_area.width=128", "right_area.height=128", "canvas.width=256",
                             "canvas.height=128", "sample.steps=2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(QImage(r.file).size(), QSize(256, 128));
  }
};

QTEST_GUILESS_MAIN(TestSdGraphs)
#include "test_sd_graphs.moc"
