// safetensors reader/writer: round trip, every class of bad input, and a seeded mutation
// fuzz loop that must never crash.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <cstring>
#include <filesystem>
#include <random>

#include "noisegraph/context.hpp"
#include "noisegraph/error.hpp"
#include "noisegraph/io/json.hpp"
#include "noisegraph/io/safetensors.hpp"

namespace io = ng::io;

namespace {

std::string header_bytes(const std::string& json, const std::string& data) {
  std::string out;
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out += char((n >> (8 * i)) & 0xFF);
  return out + json + data;
}

// Parsing must fail with an ng::Error whose message names the source and contains `needle`.
void expect_error(const std::string& bytes, const char* needle) {
  try {
    io::parse_safetensors(bytes, "bad.safetensors");
  } catch (const ng::Error& e) {
    const std::string msg = e.what();
    QVERIFY2(msg.find("bad.safetensors") != std::string::npos, msg.c_str());
    QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
    return;
  }
  QFAIL((std::string("no error for input expected to fail with '") + needle + "'").c_str());
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void round_trip_keeps_values_and_metadata() {
    auto a = at::arange(12, at::kFloat).reshape({3, 4}) / 7.0;
    auto b = at::tensor({int64_t(-3), int64_t(5)});
    auto bytes = io::serialize_safetensors({{"a", a}, {"b", b}}, {{"k", "v\n\"quoted\""}});
    auto f = io::parse_safetensors(bytes, "mem");
    QVERIFY(at::equal(f.tensors.at("a"), a));
    QVERIFY(at::equal(f.tensors.at("b"), b));
    QCOMPARE(f.metadata.at("k"), std::string("v\n\"quoted\""));
    QCOMPARE(bytes.size() % 8, size_t(0));  // header padded so data starts aligned
  }

  void half_precision_round_trip_within_fp16_resolution() {
    auto a = at::randn({64}, ng::Context::make_generator(1));
    for (auto dt : {io::DType::F16, io::DType::BF16}) {
      auto f = io::parse_safetensors(io::serialize_safetensors({{"a", a}}, {}, dt), "mem");
      QCOMPARE(f.tensors.at("a").scalar_type(), at::kFloat);
      // relative spacing of fp16 is 2^-11, of bf16 2^-8 (rounding to nearest halves it)
      const double tol = dt == io::DType::F16 ? 1.0 / 2048 : 1.0 / 256;
      QVERIFY(((f.tensors.at("a") - a).abs() <= a.abs() * tol + 1e-7).all().item<bool>());
    }
  }

  void atomic_save_then_load_file() {
    auto dir = std::filesystem::temp_directory_path() / "ng_test_safetensors";
    std::filesystem::create_directories(dir);
    auto path = dir / "x.safetensors";
    io::save_safetensors(path, {{"w", at::ones({2, 2})}}, {{"noisegraph.kind", "test"}});
    QCOMPARE(io::load_safetensors(path).tensors.at("w").sum().item<float>(), 4.0f);
    QCOMPARE(io::read_safetensors_metadata(path).at("noisegraph.kind"), std::string("test"));
    int leftovers = 0;
    for (auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().string().find(".tmp-") != std::string::npos) ++leftovers;
    QCOMPARE(leftovers, 0);
    std::filesystem::remove_all(dir);
  }

  void rejects_truncated_files() {
    auto good = io::serialize_safetensors({{"a", at::ones({4})}}, {});
    expect_error(good.substr(0, 5), "shorter than 8 bytes");
    expect_error(good.substr(0, 20), "truncated");
    expect_error(good.substr(0, good.size() - 1), "outside the data buffer");
  }

  void rejects_huge_header() {
    std::string bytes(16, '\0');
    uint64_t n = 200ull * 1024 * 1024;
    std::memcpy(bytes.data(), &n, 8);
    expect_error(bytes, "100 MB");
  }

  void rejects_bad_entries() {
    const std::string four(16, '\0');
    expect_error(header_bytes(R"({"a":{"dtype":"F99","shape":[4],"data_offsets":[0,16]}})", four), "unknown dtype");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", four), "do not match");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", four), "non-negative");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,32]}})", four), "outside");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}})", four), "begin > end");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                              std::string(12, '\0')),
                 "overlaps");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", four), "hole");
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[4]}})", four), "needs dtype, shape and data_offsets");
    expect_error(header_bytes(R"({"__metadata__":{"k":1}})", ""), "not a string");
    expect_error(header_bytes(R"({"a":1,"a":2})", ""), "duplicate key");
    expect_error(header_bytes(R"([1,2])", ""), "must be a JSON object");
    expect_error(header_bytes(R"({"a":)", ""), "invalid JSON");
    // 2^62 elements * 4 bytes must not wrap around to a matching byte count
    expect_error(header_bytes(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", ""),
                 "do not match");
  }

  void json_is_strict() {
    for (const char* bad : {"01", "1.", "[1,]", "{\"a\" 1}", "\"\\x\"", "NaN", "[1] x", "\"a\tb\""}) {
      bool threw = false;
      try {
        ng::json::parse(bad);
      } catch (const ng::Error&) {
        threw = true;
      }
      QVERIFY2(threw, bad);
    }
    auto v = ng::json::parse(R"({"n":9007199254740993,"s":"\u00e9\ud83d\ude00","f":-1.5e3})");
    QCOMPARE(v.at("n").as_int(), int64_t(9007199254740993));  // exact beyond 2^53
    QCOMPARE(v.at("s").as_string(), std::string("\xc3\xa9\xf0\x9f\x98\x80"));
    QCOMPARE(v.at("f").as_double(), -1500.0);
    QCOMPARE(ng::json::parse(ng::json::dump(v)).at("f").as_double(), -1500.0);
  }

  void fuzzed_files_never_crash() {
    auto good = io::serialize_safetensors({{"a", at::ones({3, 2})}, {"b", at::zeros({5}, at::kLong)}},
                                          {{"noisegraph.kind", "unet"}});
    std::mt19937 rng(12345);
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 5000; ++i) {
      std::string m = good;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = rng() % m.size();
        switch (rng() % 5) {
          case 0: m[pos] = char(rng()); break;                                  // flip a byte
          case 1: m.erase(pos, 1 + rng() % 8); break;                           // delete
          case 2: m.insert(pos, 1, "{}[]\",:0123456789-e"[rng() % 19]); break;  // JSON-ish insert
          case 3: m.resize(pos); break;                                         // truncate
          case 4: m[rng() % 8] = char(rng()); break;                            // header length
        }
        if (m.empty()) m = "x";
      }
      try {
        io::parse_safetensors(m, "fuzz");
        ++accepted;
      } catch (const ng::Error&) {
        ++rejected;
      }
    }
    // Mutations inside tensor bytes or string contents leave a valid file; most others
    // (lengths, offsets, shapes, JSON syntax) must be detected.
    QVERIFY2(rejected > 2500, std::to_string(rejected).c_str());
    QCOMPARE(accepted + rejected, 5000);
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
