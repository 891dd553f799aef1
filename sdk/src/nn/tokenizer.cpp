// Word tokenizer and the Fashion-MNIST vocabulary.
#include "noisegraph/nn/tokenizer.hpp"

#include <cctype>
#include <set>

#include "noisegraph/error.hpp"

namespace ng::nn {

Tokenizer::Tokenizer(std::vector<std::string> vocabulary) : vocab_(std::move(vocabulary)) {
  for (size_t i = 0; i < vocab_.size(); ++i) {
    if (vocab_[i].empty()) throw Error("tokenizer vocabulary contains an empty word");
    if (!ids_.emplace(vocab_[i], int64_t(i)).second)
      throw Error("tokenizer vocabulary lists '" + vocab_[i] + "' twice");
  }
}

std::vector<std::string> Tokenizer::split(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '\'' || c >= 0x80) {
      cur += char(std::tolower(c));
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, std::vector<std::string>* unknown_words) const {
  std::vector<int64_t> ids;
  for (const auto& w : split(text)) {
    auto it = ids_.find(w);
    if (it != ids_.end()) ids.push_back(it->second);
    else if (unknown_words) unknown_words->push_back(w);
  }
  return ids;
}

namespace {
const std::vector<std::vector<std::string>>& phrases() {
  static const std::vector<std::vector<std::string>> p = {
      {"t-shirt", "top", "tee", "tshirt", "t-shirts", "tees"},
      {"trouser", "trousers", "pants", "jeans"},
      {"pullover", "sweater", "jumper", "pullovers", "sweaters"},
      {"dress", "dresses"},
      {"coat", "jacket", "coats", "jackets"},
      {"sandal", "sandals"},
      {"shirt", "shirts"},
      {"sneaker", "sneakers", "trainers", "trainer"},
      {"bag", "handbag", "purse", "bags", "handbags"},
      {"ankle boot", "boot", "boots", "ankle boots"},
  };
  return p;
}
}  // namespace

const std::vector<std::string>& fashion_mnist_class_phrases(int64_t label) {
  if (label < 0 || label >= int64_t(phrases().size())) throw Error("Fashion-MNIST label out of range");
  return phrases()[size_t(label)];
}

std::vector<std::string> fashion_mnist_vocabulary() {
  std::vector<std::string> vocab = {"a", "an", "the", "photo", "of", "picture", "image", "one", "some"};
  std::set<std::string> seen(vocab.begin(), vocab.end());
  for (const auto& cls : phrases())
    for (const auto& phrase : cls)
      for (const auto& w : Tokenizer::split(phrase))
        if (seen.insert(w).second) vocab.push_back(w);
  return vocab;
}

}  // namespace ng::nn
