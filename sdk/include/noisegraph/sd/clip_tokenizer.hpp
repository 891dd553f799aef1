#pragma once
/// @file clip_tokenizer.hpp
/// The CLIP byte-pair-encoding tokenizer of Stable Diffusion's text encoders, and the
/// ComfyUI / A1111 prompt-weighting syntax.
///
/// What it reproduces: OpenAI CLIP's `SimpleTokenizer` (SD 1.x, ViT-L/14) and, with
/// `pad_id = 0`, OpenCLIP's tokenizer (SD 2.x, ViT-H/14). For a given merge list the ids
/// are exactly those of the reference, with these documented differences in text
/// cleaning:
///  - ftfy's `fix_text` is not reproduced: no mojibake repair, no NFC normalisation, no
///    quote uncurling. Feed NFC text (what editors and most input methods produce).
///  - HTML unescaping (applied twice, as the reference does) knows `&amp; &lt; &gt;
///    &quot; &apos; &nbsp;` and numeric entities (`&#39;`, `&#x27;`), not the full HTML5
///    table; Windows-1252 remapping of `&#128;`..`&#159;` is not done.
///  - Letters, digits and spaces are classified with glibc's C.UTF-8 locale (plus a table
///    of Unicode numeric characters), which agrees with Unicode's categories for Latin,
///    Greek, Cyrillic, CJK and emoji, but counts some combining vowel signs as letters.
///    Without a C.UTF-8 locale only ASCII is classified and lower-cased.
///  - Invalid UTF-8 bytes are read as U+FFFD, as Python's `errors="replace"` does.
///
/// Pipeline of `encode`: decode UTF-8, HTML-unescape twice, collapse every run of white
/// space into one space and strip both ends, lower-case; split into pre-tokens (the two
/// special tokens, the contractions 's 't 're 've 'm 'll 'd, runs of letters, single
/// numeric characters, runs of anything else that is not a space); map each UTF-8 byte of
/// a pre-token to its printable "byte character", mark the last one with `</w>`, and merge
/// adjacent symbols by lowest merge rank until no merge applies.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "noisegraph/export.hpp"

namespace ng::sd {

/// One stretch of a prompt and the weight its tokens carry.
struct PromptSegment {
  std::string text;
  double weight = 1.0;
};

/// One 77-token window of a weighted prompt: `ids` and `weights` both hold kContext
/// entries. BOS, EOS and padding always have weight 1.
struct WeightedChunk {
  std::vector<int64_t> ids;
  std::vector<float> weights;
};

/// Splits a prompt written in the ComfyUI / A1111 emphasis syntax into weighted segments.
///
///   `(text)`       multiplies the weight of `text` by 1.1
///   `[text]`       divides it by 1.1
///   `(text:1.3)`   multiplies it by 1.3 (any decimal, sign allowed, spaces around it ok)
///   nesting        multiplies: `((a))` is 1.21, `(a (b:2))` gives a 1.1 and b 2.2
///   `\(` `\)` `\[` `\]` `\\`   the literal character; any other `\` is kept as is
///
/// Never throws. Brackets that do not pair up are literal text: an unclosed `(` or `[`
/// (ComfyUI's choice, not A1111's, which would weight `(a` by 1.1), a `)` or `]` with no
/// opener, and a closer of the other kind (`[a)` is the text "[a)"). A `:` that is not
/// followed by a number and `)` is literal text too. Adjacent segments of equal weight are
/// merged; empty segments are dropped, so the empty prompt gives no segments.
NG_API std::vector<PromptSegment> parse_prompt_weights(const std::string& prompt);

/// A loaded CLIP BPE vocabulary. Copies are cheap (they share immutable tables) and every
/// const member may be called from several threads at once (the per-word cache is
/// guarded by a mutex).
class NG_API ClipTokenizer {
 public:
  /// Ids of SD's vocabulary and its context length (BOS + 75 tokens + EOS).
  static constexpr int64_t kBos = 49406, kEos = 49407, kContext = 77;
  /// Content tokens per 77-token window.
  static constexpr int64_t kChunkTokens = kContext - 2;

  /// Loads OpenAI's `bpe_simple_vocab_16e6.txt.gz` (a header line, then one merge "a b"
  /// per line), using its first `merges` merges (all of them when negative): 48894 for
  /// SD 1.x and 2.x, giving a vocabulary of 49408 with BOS 49406 and EOS 49407. Ids follow
  /// the reference: the 256 byte characters, the same with "</w>", one per merge, then
  /// BOS and EOS. Throws ng::Error naming `path` when the file is missing, its gzip data
  /// is truncated or corrupt, a merge line is malformed, or it has fewer merges than asked.
  static ClipTokenizer from_bpe_gz(const std::filesystem::path& path, int64_t merges = 48894);

  /// Loads a Hugging Face / diffusers `tokenizer/` folder: `vocab.json` (an object token ->
  /// id) and `merges.txt` (an optional "#version" line, then all merges of the file).
  /// BOS and EOS are the ids of "<|startoftext|>" and "<|endoftext|>". Gives the same
  /// encodings as from_bpe_gz for the same merges and vocabulary. Throws ng::Error naming
  /// the file when one is missing or malformed, or when the vocabulary lacks a token that
  /// the merges can produce (so encoding never meets an unknown symbol).
  static ClipTokenizer from_folder(const std::filesystem::path& tokenizer_dir);

  /// The content ids of `text` after cleaning, without BOS/EOS, never truncated. The
  /// literal strings "<|startoftext|>" and "<|endoftext|>" in `text` become BOS and EOS.
  /// The empty (or all-space) text gives no ids.
  std::vector<int64_t> encode(const std::string& text) const;

  /// Exactly kContext ids as the original SD code feeds its text encoder: BOS, the first
  /// 75 content ids, EOS, then `pad_id` up to 77 (EOS for SD 1.x, 0 for SD 2.x). No
  /// weighting syntax: brackets are ordinary text.
  std::vector<int64_t> tokenize_truncated(const std::string& text, int64_t pad_id = kEos) const;

  /// Parses `prompt` with parse_prompt_weights, encodes each segment separately (same
  /// cleaning as encode) and gives each token its segment's weight; a segment boundary
  /// also ends a word ("(cat)s" is "cat" then "s"). The token stream is
  /// cut every 75 tokens (no attempt to keep words whole) and each piece becomes one
  /// chunk: BOS, tokens, EOS, `pad_id` up to 77. Always at least one chunk (the empty
  /// prompt gives BOS, EOS, padding). Callers encode chunks separately and concatenate
  /// them along the sequence, as ComfyUI and A1111 do.
  std::vector<WeightedChunk> tokenize_weighted(const std::string& prompt, int64_t pad_id = kEos) const;

  /// One more than the largest id (49408 for SD's vocabulary).
  int64_t vocab_size() const;
  /// The ids of "<|startoftext|>" and "<|endoftext|>": kBos and kEos for SD's
  /// vocabulary, a folder's own ids otherwise. Every tokenize_* call uses these.
  int64_t bos_id() const;
  int64_t eos_id() const;
  /// The merges in rank order (rank 0 first), as loaded.
  const std::vector<std::pair<std::string, std::string>>& merges() const;

  struct Tables;  ///< implementation detail

 private:
  explicit ClipTokenizer(std::shared_ptr<Tables> tables) : t_(std::move(tables)) {}
  std::shared_ptr<Tables> t_;
};

}  // namespace ng::sd
