#pragma once
/// @file tokenizer.hpp
/// Word tokenizer of the SDK's prompt encoders: a fixed vocabulary, no sub-words.
///
/// Text is lower-cased and split into words at anything that is not a letter, digit,
/// '-' or '\''. Each word must be in the vocabulary; words that are not are reported
/// through `unknown_words` and skipped, never mapped to some other word.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::nn {

class NG_API Tokenizer {
 public:
  /// `vocabulary`: distinct lower-case words; a word's id is its index.
  explicit Tokenizer(std::vector<std::string> vocabulary);

  /// Ids of the known words of `text`, in order. Unknown words are appended to
  /// `unknown_words` (when not null) and skipped. The empty prompt gives no ids.
  std::vector<int64_t> encode(const std::string& text, std::vector<std::string>* unknown_words) const;
  /// The words of `text` as the tokenizer splits them (lower-case).
  static std::vector<std::string> split(const std::string& text);
  const std::vector<std::string>& vocabulary() const { return vocab_; }

 private:
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
};

/// The vocabulary of the shipped Fashion-MNIST prompt encoders: class names and common
/// synonyms ("t-shirt", "tee", "pants", "jeans", "sweater", "sneakers", "handbag", ...)
/// plus a few neutral words ("a", "an", "the", "photo", "of", ...).
NG_API std::vector<std::string> fashion_mnist_vocabulary();

/// For training: the words that may name Fashion-MNIST class `label` (0..9), e.g.
/// {"ankle boot", "boot", "boots", "ankle boots"} for 9.
NG_API const std::vector<std::string>& fashion_mnist_class_phrases(int64_t label);

}  // namespace ng::nn
