// Durations and rates as the CLI's progress lines print them.
#include <QtTest/QtTest>

#include "progress.hpp"

using ng::cli::format_duration;
using ng::cli::format_rate;

class TestProgress : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void durations_use_the_largest_sensible_unit() {
    QCOMPARE(format_duration(0.0), std::string("0 ms"));
    QCOMPARE(format_duration(0.35), std::string("350 ms"));
    QCOMPARE(format_duration(12.34), std::string("12.3 s"));
    QCOMPARE(format_duration(59.94), std::string("59.9 s"));
    QCOMPARE(format_duration(125.0), std::string("2 min 05 s"));
    QCOMPARE(format_duration(3599.4), std::string("59 min 59 s"));
    QCOMPARE(format_duration(3720.0), std::string("1 h 02 min"));
    QCOMPARE(format_duration(-1.0), std::string("0 ms"));
  }

  void rates_switch_to_seconds_per_step_below_one_step_a_second() {
    QCOMPARE(format_rate(3.214), std::string("3.21 it/s"));
    QCOMPARE(format_rate(1.0), std::string("1.00 it/s"));
    QCOMPARE(format_rate(0.25), std::string("4.00 s/it"));
    QCOMPARE(format_rate(0.0), std::string("? it/s"));
  }
};

QTEST_GUILESS_MAIN(TestProgress)
#include "test_progress.moc"
