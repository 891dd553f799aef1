// CLIP BPE tokenizer: OpenAI's reference ids for the sd1-tiny prompts, the Hugging Face
// folder format, the emphasis syntax, 75-token chunking and load errors.
#include <ATen/ATen.h>
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "noisegraph/error.hpp"
#include "noisegraph/io/safetensors.hpp"
#include "noisegraph/sd/clip_tokenizer.hpp"

using ng::sd::ClipTokenizer;

namespace {

const char* kVocab = NG_TEST_SOURCE_DIR "/models/clip/bpe_simple_vocab_16e6.txt.gz";

struct Reference {
  std::vector<std::string> prompts;
  std::vector<std::vector<int64_t>> ids;
  std::vector<int64_t> n_content;
};

Reference load_reference() {
  QFile f(NG_TEST_SOURCE_DIR "/tests/data/sd1-tiny/prompts.json");
  if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read prompts.json");
  const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
  Reference r;
  for (const auto& p : o["prompts"].toArray()) r.prompts.push_back(p.toString().toStdString());
  for (const auto& row : o["ids"].toArray()) {
    r.ids.emplace_back();
    for (const auto& id : row.toArray()) r.ids.back().push_back(id.toInteger());
  }
  for (const auto& n : o["n_content_tokens"].toArray()) r.n_content.push_back(n.toInteger());
  return r;
}

void write(const QString& path, const std::string& bytes) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(bytes.data(), qint64(bytes.size()));
}

// `fn` must throw an ng::Error whose message contains `needle` (the file's name).
template <class Fn>
void expect_error(Fn fn, const std::string& needle) {
  try {
    fn();
  } catch (const ng::Error& e) {
    QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
    return;
  }
  QFAIL(("no ng::Error mentioning " + needle).c_str());
}

void expect_weight(float got, double want) { QVERIFY2(std::abs(got - want) < 1e-6, qPrintable(QString::number(got))); }

}  // namespace

class TestClipTokenizer : public QObject {
  Q_OBJECT
  ClipTokenizer tok_ = ClipTokenizer::from_bpe_gz(kVocab);
  Reference ref_ = load_reference();

 private Q_SLOTS:
  void vocabulary_has_sd_layout() {
    QCOMPARE(tok_.vocab_size(), int64_t(49408));
    QCOMPARE(tok_.bos_id(), ClipTokenizer::kBos);
    QCOMPARE(tok_.eos_id(), ClipTokenizer::kEos);
    QCOMPARE(tok_.merges().size(), size_t(48894));
  }

  void reference_prompts_match_openai_ids() {
    QCOMPARE(ref_.prompts.size(), size_t(9));
    for (size_t i = 0; i < ref_.prompts.size(); ++i) {
      QCOMPARE(tok_.tokenize_truncated(ref_.prompts[i]), ref_.ids[i]);
      QCOMPARE(int64_t(tok_.encode(ref_.prompts[i]).size()), ref_.n_content[i]);
    }
  }

  void reference_tensor_matches() {
    auto file = ng::io::load_safetensors(NG_TEST_SOURCE_DIR "/tests/data/sd1-tiny/vectors.safetensors");
    const at::Tensor ids = file.get("prompt_ids");
    QCOMPARE(ids.sizes().vec(), (std::vector<int64_t>{9, 77}));
    for (int64_t i = 0; i < 9; ++i) {
      auto row = tok_.tokenize_truncated(ref_.prompts[size_t(i)]);
      QVERIFY(at::equal(ids[i], at::tensor(row, at::kLong)));
    }
  }

  void folder_format_encodes_identically() {
    // vocab.json built from the documented order: byte characters, the same with </w>,
    // merges, then the two special tokens.
    std::vector<int> bytes;
    auto visible = [](int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; };
    for (int b = 0; b < 256; ++b)
      if (visible(b)) bytes.push_back(b);
    for (int b = 0; b < 256; ++b)
      if (!visible(b)) bytes.push_back(b);
    std::vector<std::string> vocab;
    int next = 256;
    for (int b : bytes) vocab.push_back(QString(QChar(visible(b) ? b : next++)).toStdString());
    for (int i = 0; i < 256; ++i) vocab.push_back(vocab[size_t(i)] + "</w>");
    std::string merges = "#version: 0.2\n";
    for (const auto& [a, b] : tok_.merges()) {
      vocab.push_back(a + b);
      merges += a + " " + b + "\n";
    }
    vocab.push_back("<|startoftext|>");
    vocab.push_back("<|endoftext|>");
    // Written as Python's json.dump(indent=2, ensure_ascii=True) would: \uXXXX escapes.
    std::string json = "{";
    for (size_t i = 0; i < vocab.size(); ++i) {
      std::string esc;
      for (QChar c : QString::fromStdString(vocab[i]))
        esc += c.unicode() >= 0x80 ? QString::asprintf("\\u%04x", c.unicode()).toStdString()
               : (c == '"' || c == '\\') ? std::string("\\") + char(c.unicode())
                                          : std::string(1, char(c.unicode()));
      json += (i ? ",\n  \"" : "\n  \"") + esc + "\": " + std::to_string(i);
    }
    json += "\n}\n";
    QTemporaryDir dir;
    write(dir.filePath("vocab.json"), json);
    write(dir.filePath("merges.txt"), merges);
    auto folder = ClipTokenizer::from_folder(dir.path().toStdString());
    QCOMPARE(folder.vocab_size(), int64_t(49408));
    for (const auto& p : ref_.prompts) QCOMPARE(folder.tokenize_truncated(p), tok_.tokenize_truncated(p));
  }

  void explicit_weight_applies_to_group_only() {
    const auto cat = tok_.encode("cat"), dog = tok_.encode("dog");
    auto chunks = tok_.tokenize_weighted("(cat:1.5) dog");
    QCOMPARE(chunks.size(), size_t(1));
    const auto& c = chunks[0];
    QCOMPARE(c.ids[0], ClipTokenizer::kBos);
    QCOMPARE(c.ids[1], cat[0]);
    QCOMPARE(c.ids[2], dog[0]);
    QCOMPARE(c.ids[3], ClipTokenizer::kEos);
    expect_weight(c.weights[0], 1.0);
    expect_weight(c.weights[1], 1.5);
    expect_weight(c.weights[2], 1.0);
    for (size_t i = 3; i < 77; ++i) expect_weight(c.weights[i], 1.0);
  }

  void emphasis_groups_multiply() {
    auto weight_of = [](const std::string& prompt) {
      auto s = ng::sd::parse_prompt_weights(prompt);
      return s.size() == 1 ? s[0].weight : -1.0;
    };
    QVERIFY(std::abs(weight_of("((a))") - 1.21) < 1e-12);
    QVERIFY(std::abs(weight_of("[a]") - 1 / 1.1) < 1e-12);
    QVERIFY(std::abs(weight_of("([a])") - 1.0) < 1e-12);
    QVERIFY(std::abs(weight_of("(a: 0.5 )") - 0.5) < 1e-12);
    auto nested = ng::sd::parse_prompt_weights("(a (b:2))");
    QCOMPARE(nested.size(), size_t(2));
    QCOMPARE(nested[0].text, std::string("a "));
    QVERIFY(std::abs(nested[0].weight - 1.1) < 1e-12);
    QCOMPARE(nested[1].text, std::string("b"));
    QVERIFY(std::abs(nested[1].weight - 2.2) < 1e-12);
    // weights reach the tokens
    auto c = tok_.tokenize_weighted("((a))")[0];
    QCOMPARE(c.ids[1], tok_.encode("a")[0]);
    expect_weight(c.weights[1], 1.21f);
  }

  void escaped_and_unbalanced_brackets_are_literal_text() {
    auto esc = ng::sd::parse_prompt_weights("\\(a\\) \\[b\\] \\\\");
    QCOMPARE(esc.size(), size_t(1));
    QCOMPARE(esc[0].text, std::string("(a) [b] \\"));
    QCOMPARE(esc[0].weight, 1.0);
    auto c = tok_.tokenize_weighted("\\(a\\)")[0];
    const auto lit = tok_.encode("(a)");
    for (size_t i = 0; i < lit.size(); ++i) {
      QCOMPARE(c.ids[i + 1], lit[i]);
      expect_weight(c.weights[i + 1], 1.0);
    }
    for (const char* p : {"(a", "a)", "[a)", "(a]", "((a"}) {  // unbalanced: verbatim, weight 1
      auto s = ng::sd::parse_prompt_weights(p);
      QCOMPARE(s.size(), size_t(1));
      QCOMPARE(s[0].text, std::string(p));
      QCOMPARE(s[0].weight, 1.0);
    }
    auto colon = ng::sd::parse_prompt_weights("(a:b)");  // ':' without a number is text
    QCOMPARE(colon.size(), size_t(1));
    QCOMPARE(colon[0].text, std::string("a:b"));
    QVERIFY(std::abs(colon[0].weight - 1.1) < 1e-12);
    // the parser never throws, whatever the brackets
    std::mt19937 rng(7);
    const std::string alphabet = "()[]:\\.1a -";
    for (int n = 0; n < 2000; ++n) {
      std::string p;
      for (int k = int(rng() % 24); k > 0; --k) p += alphabet[rng() % alphabet.size()];
      (void)ng::sd::parse_prompt_weights(p);
      (void)tok_.tokenize_weighted(p);
    }
  }

  void long_prompt_splits_into_chunks_of_75() {
    const std::string& p = ref_.prompts[6];
    const auto all = tok_.encode(p);
    QCOMPARE(all.size(), size_t(93));
    auto chunks = tok_.tokenize_weighted(p);
    QCOMPARE(chunks.size(), size_t(2));
    for (size_t k = 0; k < 2; ++k) {
      const auto& ids = chunks[k].ids;
      QCOMPARE(ids.size(), size_t(77));
      QCOMPARE(chunks[k].weights.size(), size_t(77));
      QCOMPARE(ids[0], ClipTokenizer::kBos);
      const size_t n = k == 0 ? 75 : 18;
      for (size_t i = 0; i < n; ++i) QCOMPARE(ids[i + 1], all[k * 75 + i]);
      QCOMPARE(ids[n + 1], ClipTokenizer::kEos);
      for (size_t i = n + 2; i < 77; ++i) QCOMPARE(ids[i], ClipTokenizer::kEos);
    }
    QCOMPARE(chunks[0].ids, ref_.ids[6]);  // the first chunk is the truncated encoding
  }

  void pad_id_zero_pads_after_eos() {
    auto ids = tok_.tokenize_truncated("a cat", 0);
    QCOMPARE(ids.size(), size_t(77));
    QCOMPARE(ids[3], ClipTokenizer::kEos);
    for (size_t i = 4; i < 77; ++i) QCOMPARE(ids[i], int64_t(0));
    auto c = tok_.tokenize_weighted("a (cat)", 0)[0];
    QCOMPARE(c.ids[3], ClipTokenizer::kEos);
    QCOMPARE(c.ids[4], int64_t(0));
  }

  void empty_prompt_gives_one_chunk() {
    auto chunks = tok_.tokenize_weighted("");
    QCOMPARE(chunks.size(), size_t(1));
    QCOMPARE(chunks[0].ids, ref_.ids[7]);
    QCOMPARE(tok_.tokenize_weighted("  ()  ")[0].ids, ref_.ids[7]);
  }

  void copies_share_tables_and_encode_concurrently() {
    const ClipTokenizer copy = tok_;
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int n = 0; n < 20; ++n) {
          const size_t i = size_t(t + n) % ref_.prompts.size();
          if (copy.tokenize_truncated(ref_.prompts[i]) != ref_.ids[i]) ++mismatches;
        }
      });
    for (auto& th : threads) th.join();
    QCOMPARE(mismatches.load(), 0);
  }

  void bad_files_raise_errors_naming_the_file() {
    QTemporaryDir dir;
    const std::string missing = dir.filePath("nope_vocab.txt.gz").toStdString();
    expect_error([&] { ClipTokenizer::from_bpe_gz(missing); }, "nope_vocab.txt.gz");
    QFile f(kVocab);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray gz = f.readAll();
    const QString cut = dir.filePath("cut_vocab.txt.gz");
    write(cut, gz.left(gz.size() / 3).toStdString());
    expect_error([&] { ClipTokenizer::from_bpe_gz(cut.toStdString()); }, "cut_vocab.txt.gz");
    expect_error([&] { ClipTokenizer::from_bpe_gz(kVocab, 300000); }, "bpe_simple_vocab_16e6.txt.gz");
    expect_error([&] { ClipTokenizer::from_folder(dir.path().toStdString()); }, "vocab.json");
    write(dir.filePath("vocab.json"), "{\"a\": 0}");
    write(dir.filePath("merges.txt"), "#version: 0.2\n");
    expect_error([&] { ClipTokenizer::from_folder(dir.path().toStdString()); }, "vocab.json");
    write(dir.filePath("merges.txt"), "#version: 0.2\nbad line here\n");
    expect_error([&] { ClipTokenizer::from_folder(dir.path().toStdString()); }, "merges.txt:2");
  }
};

QTEST_GUILESS_MAIN(TestClipTokenizer)
#include "test_clip_tokenizer.moc"
