// CLIP's text tokenizer: byte-level BPE, as OpenAI CLIP's simple_tokenizer.py and Hugging Face's
// CLIPTokenizer do it, for the text tower of a CLIP/FashionCLIP model.
//
// encode(text):
//   1. clean: HTML entities unescaped (twice, as CLIP does; numeric references and amp, lt, gt, quot,
//      apos, nbsp only), Unicode NFC, curly quotes straightened (as ftfy does), runs of white space
//      collapsed to one space, stripped, then lower-cased (full Unicode lower-casing, root locale).
//      The rest of ftfy (mojibake repair and the like) is not reproduced: pass clean text.
//   2. split with CLIP's pattern, case-insensitive, with real Unicode classes:
//        <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | \p{L}+ | \p{N} | [^\s\p{L}\p{N}]+
//      (so digits come one per token, punctuation in runs, white space is dropped);
//   3. map each piece's UTF-8 bytes to printable characters (bytes_to_unicode), mark the last one with
//      "</w>", and merge pairs by their rank in the merges file until none applies;
//   4. look the resulting symbols up in the vocabulary.
// encode_for_model() wraps that in <|startoftext|> ... <|endoftext|>, truncating so that
// <|endoftext|> stays last, and pads with 0 to the context length (77), as open_clip's tokenize()
// and CLIPTokenizer(truncation=True) do. Invalid UTF-8 in the input is replaced by U+FFFD.
//
// Files (docs/EMBEDDINGS.md, "Text tokenizer"):
//   Hugging Face: vocab.json ({"symbol": id, ...}) + merges.txt ("first second" per line, an optional
//     "#version" first line). Every merge's result, the 512 byte symbols ("a", "a</w>", ...) and both
//     special tokens must be in the vocabulary.
//   OpenAI: bpe_simple_vocab_16e6.txt.gz (gzip or plain): merges only; the first line is skipped and
//     at most 48,894 merges are read, as in simple_tokenizer.py. The vocabulary is built from them:
//     the 256 byte symbols, the same with "</w>", each merge joined, then <|startoftext|> and
//     <|endoftext|> (ids 49406 and 49407 with the full file).
//
// Cost: BPE is quadratic in a word's length; results of words up to 64 bytes are cached (bounded).
// Callers bound the text's size (CLIP reads only the first 75 tokens anyway).
// Thread-safety: every const method may be called from several threads at once on one object.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ensemble::embed {

class ClipTokenizer {
 public:
  static constexpr int kContextLength = 77;
  static constexpr std::string_view kStartOfText = "<|startoftext|>";
  static constexpr std::string_view kEndOfText = "<|endoftext|>";

  // Hugging Face format. Throws Error(kNotFound) for a missing file, Error(kBadInput) for a
  // malformed one (the message names the file and, for merges.txt, the line).
  static ClipTokenizer from_hf(const std::filesystem::path& vocab_json,
                               const std::filesystem::path& merges_txt);
  // OpenAI format (.txt.gz or plain text). Errors as from_hf().
  static ClipTokenizer from_openai(const std::filesystem::path& bpe_file);
  // A directory holding vocab.json and merges.txt (Hugging Face), or an OpenAI merges file.
  static ClipTokenizer load(const std::filesystem::path& path);

  ClipTokenizer(ClipTokenizer&&) noexcept;
  ClipTokenizer& operator=(ClipTokenizer&&) noexcept;
  ~ClipTokenizer();

  // Token ids of the text, without <|startoftext|>/<|endoftext|> (unless the text spells them).
  std::vector<std::int64_t> encode(std::string_view text) const;
  // The same as BPE symbols in their byte-mapped form ("hello</w>", "Ã©</w>"), for tests and debugging.
  std::vector<std::string> tokenize(std::string_view text) const;

  // [sot, encode(text)..., eot, 0, 0, ...]: exactly `context` ids; when too long, the text's ids are
  // cut to context - 2 so that eot is the last id. The first eot is also the largest id, which is how
  // CLIP's text tower finds it (argmax). Throws Error(kInvalidArgument) for context < 2.
  std::vector<std::int64_t> encode_for_model(std::string_view text,
                                             int context = kContextLength) const;
  // Row-major texts.size() × context, row i = encode_for_model(texts[i], context).
  std::vector<std::int64_t> encode_batch_for_model(std::span<const std::string> texts,
                                                   int context = kContextLength) const;

  // Concatenates the ids' symbols, maps them back to bytes, reads UTF-8 (invalid sequences become
  // U+FFFD) and turns each "</w>" into a space: decode(encode("Hello, world")) == "hello , world ".
  // Throws Error(kInvalidArgument) for an id not in the vocabulary.
  std::string decode(std::span<const std::int64_t> ids) const;

  std::int64_t sot_id() const;
  std::int64_t eot_id() const;
  std::int64_t vocab_size() const;  // largest id + 1
  std::size_t merge_count() const;

  // The printable character (UTF-8) that stands for a byte in BPE symbols, as CLIP/GPT-2's
  // bytes_to_unicode: '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves, the other 68 bytes map in
  // order to U+0100.. (so ' ' -> "Ġ", 0xAD -> "Ń").
  static std::string_view byte_symbol(unsigned char byte);

  // Step 1 above (cleaning and lower-casing), UTF-8 in and out.
  static std::string clean_text(std::string_view text);

 private:
  struct Impl;
  explicit ClipTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ensemble::embed
