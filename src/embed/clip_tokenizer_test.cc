#include "ensemble/embed/clip_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ensemble/util/error.h"
#include "testing/temp_dir.h"

namespace ensemble::embed {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Ids = std::vector<std::int64_t>;

// The test vocabulary, laid out as simple_tokenizer.py builds it:
//   ids   0..255  the 256 byte symbols, ordered by code point: '!'..'~' are 0..93 ('a' = 64),
//                 '¡'..'¬' 94..105 ('©' = 102), '®'..'ÿ' 106..187 ('Ã' = 127, 'ä' = 160), then
//                 the other bytes as U+0100.. : 0x00..0x20 are 188..220, 0x7F..0xA0 221..254,
//                 0xAD ('Ń') 255;
//   ids 256..511  the same with "</w>" ('a</w>' = 320, as in the real CLIP vocabulary);
//   ids 512..     one per merge below, in rank order; then <|startoftext|>, <|endoftext|>.
const std::vector<std::string> kMerges = {
    "h e",              // 512 he
    "l l",              // 513 ll
    "ll o</w>",         // 514 llo</w>
    "he llo</w>",       // 515 hello</w>
    "i t</w>",          // 516 it</w>
    "' s</w>",          // 517 's</w>
    "Ã ©</w>",          // 518 Ã©</w>   (é is C3 A9 in UTF-8)
    "c a",              // 519 ca
    "ca f",             // 520 caf
    "caf Ã©</w>",       // 521 cafÃ©</w>
    "! !",              // 522 !!
    "!! !</w>",         // 523 !!!</w>
    "w o",              // 524 wo
    "r l",              // 525 rl
    "wo rl",            // 526 worl
    "worl d</w>",       // 527 world</w>
    "a a",              // 528 aa
};
constexpr std::int64_t kHello = 515, kItW = 516, kApostropheS = 517, kEAcute = 518, kCafe = 521,
                       kBangs = 523, kWorld = 527, kAA = 528, kSot = 529, kEot = 530;
constexpr std::int64_t kEndOfWord = 256;  // id("x</w>") = id("x") + 256

// Independent of the tokenizer: the id of a byte's symbol, counting the byte symbols that come
// before it (printable bytes keep their code, the others go after 255 in byte order).
std::int64_t byte_id(unsigned char b) {
  auto code = [](int x) {
    const bool printable =
        (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
    int extra = 0;
    for (int y = 0; y < x; ++y)
      if (!((y >= '!' && y <= '~') || (y >= 0xA1 && y <= 0xAC) || (y >= 0xAE && y <= 0xFF)))
        ++extra;
    return printable ? x : 256 + extra;
  };
  std::int64_t id = 0;
  for (int y = 0; y < 256; ++y)
    if (code(y) < code(b)) ++id;
  return id;
}

std::string merges_text(const std::vector<std::string>& merges, bool header = true) {
  std::string s = header ? "#version: 0.2\n" : "";
  for (const std::string& m : merges) s += m + "\n";
  return s;
}

// vocab.json with the layout above.
nlohmann::json vocab_json(const std::vector<std::string>& merges) {
  nlohmann::json v = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) {
    const std::string s(ClipTokenizer::byte_symbol(static_cast<unsigned char>(b)));
    v[s] = byte_id(static_cast<unsigned char>(b));
    v[s + "</w>"] = byte_id(static_cast<unsigned char>(b)) + kEndOfWord;
  }
  std::int64_t id = 512;
  for (const std::string& m : merges) {
    const auto space = m.find(' ');
    v[m.substr(0, space) + m.substr(space + 1)] = id++;
  }
  v["<|startoftext|>"] = id++;
  v["<|endoftext|>"] = id++;
  return v;
}

void write_gzip(const fs::path& path, const std::string& data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, data.data(), static_cast<unsigned>(data.size())),
            static_cast<int>(data.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

class ClipTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_text(dir_ / "hf/vocab.json", vocab_json(kMerges).dump());
    testing::write_text(dir_ / "hf/merges.txt", merges_text(kMerges));
    // The OpenAI file's first line is a header that simple_tokenizer.py skips, whatever it says.
    write_gzip(dir_ / "bpe_test.txt.gz", "\"bpe_test.txt#version: 0.2\n" + merges_text(kMerges, false));
  }
  ClipTokenizer hf() const { return ClipTokenizer::load(dir_ / "hf"); }
  ClipTokenizer openai() const { return ClipTokenizer::load(dir_ / "bpe_test.txt.gz"); }

  testing::TempDir dir_;
};

template <typename F>
ErrorCode code_of(F f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no Error thrown";
  return ErrorCode::kInternal;
}

TEST(ClipTokenizerBytes, MapsBytesLikeBytesToUnicode) {
  EXPECT_EQ(ClipTokenizer::byte_symbol('a'), "a");
  EXPECT_EQ(ClipTokenizer::byte_symbol(0xC3), "Ã");
  EXPECT_EQ(ClipTokenizer::byte_symbol(0xA9), "©");
  EXPECT_EQ(ClipTokenizer::byte_symbol(0x00), "\u0100");  // first non-printable byte
  EXPECT_EQ(ClipTokenizer::byte_symbol(' '), "Ġ");        // U+0120: 0x00..0x20 are U+0100..0120
  EXPECT_EQ(ClipTokenizer::byte_symbol(0x7F), "ġ");       // U+0121
  EXPECT_EQ(ClipTokenizer::byte_symbol(0xAD), "Ń");       // U+0143, the last one
  // The ids the fixture relies on, worked out by hand in the comment above.
  EXPECT_EQ(byte_id('!'), 0);
  EXPECT_EQ(byte_id('a'), 64);
  EXPECT_EQ(byte_id(0xA9), 102);
  EXPECT_EQ(byte_id(0xC3), 127);
  EXPECT_EQ(byte_id(0xE4), 160);
  EXPECT_EQ(byte_id(0x00), 188);
  EXPECT_EQ(byte_id(' '), 220);
  EXPECT_EQ(byte_id(0xAD), 255);
}

TEST_F(ClipTokenizerTest, LoadsBothFormatsWithTheSameIds) {
  for (const ClipTokenizer& t : {hf(), openai()}) {
    EXPECT_EQ(t.merge_count(), kMerges.size());
    EXPECT_EQ(t.sot_id(), kSot);
    EXPECT_EQ(t.eot_id(), kEot);
    EXPECT_EQ(t.vocab_size(), kEot + 1);
    EXPECT_THAT(t.encode("Hello world"), ElementsAre(kHello, kWorld));
  }
}

TEST_F(ClipTokenizerTest, MergesByRankUntilNoneApplies) {
  const ClipTokenizer t = hf();
  // hello: h e l l o</w> -(rank 0 "h e")-> he l l o</w> -(1 "l l")-> he ll o</w>
  //        -(2 "ll o</w>")-> he llo</w> -(3 "he llo</w>")-> hello</w>
  EXPECT_THAT(t.tokenize("hello"), ElementsAre("hello</w>"));
  // hell: h e l l</w> -(0)-> he l l</w>; "l l</w>" is not "l l" (the last symbol carries </w>): stop.
  EXPECT_THAT(t.tokenize("hell"), ElementsAre("he", "l", "l</w>"));
  EXPECT_THAT(t.encode("hell"), ElementsAre(512, byte_id('l'), byte_id('l') + kEndOfWord));
  // ello: e l l o</w>; lowest rank first, wherever it is: -(1)-> e ll o</w> -(2)-> e llo</w>.
  EXPECT_THAT(t.tokenize("ello"), ElementsAre("e", "llo</w>"));
  EXPECT_THAT(t.encode("ello"), ElementsAre(byte_id('e'), 514));
  // aaa: a a a</w> -(16 "a a", left to right, not overlapping)-> aa a</w>.
  EXPECT_THAT(t.tokenize("aaa"), ElementsAre("aa", "a</w>"));
  EXPECT_THAT(t.encode("aaa"), ElementsAre(kAA, 320));
  // A one-character word is its symbol with </w>.
  EXPECT_THAT(t.encode("a"), ElementsAre(320));
  // Repeated words come from the cache and agree.
  EXPECT_EQ(t.encode("hello hell hello hell"), (Ids{kHello, 512, 75, 331, kHello, 512, 75, 331}));
}

TEST_F(ClipTokenizerTest, CleansAndLowerCases) {
  const ClipTokenizer t = hf();
  EXPECT_THAT(t.encode("HeLLo WORLD"), ElementsAre(kHello, kWorld));
  // White space of any kind (tab, newline, no-break space, ideographic space) separates words.
  EXPECT_THAT(t.encode("  hello\t\n \u00A0world\u3000 "), ElementsAre(kHello, kWorld));
  EXPECT_EQ(ClipTokenizer::clean_text("  Hello\t\n  WORLD  "), "hello world");
  // HTML entities, unescaped twice as CLIP does: "&amp;amp;" -> "&amp;" -> "&".
  EXPECT_EQ(ClipTokenizer::clean_text("a&amp;amp;b &lt;x&gt; &#233;&#x41; &#150; &unknown;"),
            "a&b <x> éa – &unknown;");
  EXPECT_THAT(t.encode("hello&amp;world"),
              ElementsAre(kHello, byte_id('&') + kEndOfWord, kWorld));
  // Curly apostrophes are straightened (ftfy), so contractions split the same way.
  EXPECT_EQ(ClipTokenizer::clean_text("It\u2019s \u201Cok\u201D"), "it's \"ok\"");
  EXPECT_TRUE(t.encode("").empty());
  EXPECT_TRUE(t.encode(" \n\t ").empty());
}

TEST_F(ClipTokenizerTest, SplitsContractions) {
  const ClipTokenizer t = hf();
  // "it's" -> "it" "'s"; it: i t</w> -(4)-> it</w>; 's: ' s</w> -(5)-> 's</w>.
  EXPECT_THAT(t.tokenize("It's"), ElementsAre("it</w>", "'s</w>"));
  EXPECT_THAT(t.encode("IT'S"), ElementsAre(kItW, kApostropheS));
  EXPECT_THAT(t.encode("it\u2019s"), ElementsAre(kItW, kApostropheS));
  // "don't" -> "don" "'t" (no merges apply): d o n</w> ' t</w>.
  EXPECT_THAT(t.tokenize("don't"), ElementsAre("d", "o", "n</w>", "'", "t</w>"));
  EXPECT_THAT(t.tokenize("we're i've i'm we'll i'd"),
              ElementsAre("w", "e</w>", "'", "r", "e</w>", "i</w>", "'", "v", "e</w>", "i</w>",
                          "'", "m</w>", "w", "e</w>", "'", "l", "l</w>", "i</w>", "'", "d</w>"));
  // The pattern has no word boundary: "'sun" is "'s" + "un", as in CLIP.
  EXPECT_THAT(t.tokenize("'sun"), ElementsAre("'s</w>", "u", "n</w>"));
  // A quote not followed by a contraction joins the punctuation run: "''" then "s".
  EXPECT_THAT(t.tokenize("''s"), ElementsAre("'", "'</w>", "s</w>"));
}

TEST_F(ClipTokenizerTest, PunctuationRunsAndDigits) {
  const ClipTokenizer t = hf();
  // "hello!!!" -> "hello" "!!!"; !!!: ! ! !</w> -(10 "! !")-> !! !</w> -(11)-> !!!</w>.
  EXPECT_THAT(t.encode("hello!!!"), ElementsAre(kHello, kBangs));
  // A run of non-letter, non-digit, non-space characters is one piece.
  EXPECT_THAT(t.tokenize("?!-."), ElementsAre("?", "!", "-", ".</w>"));
  EXPECT_THAT(t.tokenize("hello, world."), ElementsAre("hello</w>", ",</w>", "world</w>", ".</w>"));
  // Digits are one per piece.
  EXPECT_THAT(t.tokenize("2024"), ElementsAre("2</w>", "0</w>", "2</w>", "4</w>"));
  EXPECT_THAT(t.encode("2024"), ElementsAre(273, 271, 273, 275));
  EXPECT_THAT(t.tokenize("h2o"), ElementsAre("h</w>", "2</w>", "o</w>"));
  // Other Unicode numbers too: superscript two (No) and Arabic-Indic digits (Nd).
  EXPECT_THAT(t.tokenize("m\u00B2"), ElementsAre("m</w>", "Â", "²</w>"));
  EXPECT_EQ(t.tokenize("\u0661\u0662").size(), 4u);  // two pieces of two bytes each
}

TEST_F(ClipTokenizerTest, NonAsciiGoesThroughBytesToUnicode) {
  const ClipTokenizer t = hf();
  // é = C3 A9 -> "Ã" "©</w>" -(6)-> "Ã©</w>".
  EXPECT_THAT(t.tokenize("é"), ElementsAre("Ã©</w>"));
  EXPECT_THAT(t.encode("é"), ElementsAre(kEAcute));
  // café: c a f Ã ©</w> -(6)-> c a f Ã©</w> -(7)-> ca f Ã©</w> -(8)-> caf Ã©</w> -(9)-> cafÃ©</w>.
  EXPECT_THAT(t.encode("café"), ElementsAre(kCafe));
  EXPECT_THAT(t.encode("CAFÉ"), ElementsAre(kCafe));           // ICU lower-cases É
  EXPECT_THAT(t.encode("cafe\u0301"), ElementsAre(kCafe));     // NFC composes e + U+0301
  // 中 = E4 B8 AD -> "ä" "¸" "Ń</w>" (0xAD is not printable: U+0143); no merges.
  EXPECT_THAT(t.tokenize("中"), ElementsAre("ä", "¸", "Ń</w>"));
  EXPECT_THAT(t.encode("中"), ElementsAre(byte_id(0xE4), byte_id(0xB8), byte_id(0xAD) + kEndOfWord));
  // Letters of any script are one piece: 中文 is six byte symbols, the last with </w>.
  EXPECT_EQ(t.tokenize("中文").size(), 6u);
  EXPECT_EQ(t.tokenize("中文 hello").back(), "hello</w>");
  // Invalid UTF-8 becomes U+FFFD (EF BF BD) rather than failing.
  EXPECT_THAT(t.tokenize("\xFF"), ElementsAre("ï", "¿", "½</w>"));
}

TEST_F(ClipTokenizerTest, SpecialTokensInText) {
  const ClipTokenizer t = hf();
  EXPECT_THAT(t.encode("hello<|endoftext|>"), ElementsAre(kHello, kEot));
  EXPECT_THAT(t.encode("<|startoftext|>hello world<|endoftext|>"),
              ElementsAre(kSot, kHello, kWorld, kEot));
  EXPECT_THAT(t.encode("<|EndOfText|>"), ElementsAre(kEot));  // lower-cased first
  EXPECT_THAT(t.tokenize("<|endoftext|>"), ElementsAre("<|endoftext|>"));
}

TEST_F(ClipTokenizerTest, EncodesForTheModelWithPaddingAndTruncation) {
  const ClipTokenizer t = openai();
  Ids ids = t.encode_for_model("Hello world");
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_THAT(Ids(ids.begin(), ids.begin() + 5), ElementsAre(kSot, kHello, kWorld, kEot, 0));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 0), 73);

  ids = t.encode_for_model("");
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids[0], kSot);
  EXPECT_EQ(ids[1], kEot);
  EXPECT_EQ(ids[2], 0);

  auto words = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "a ";
    return s;
  };
  // 75 tokens fit exactly: sot, 75 × a</w>, eot.
  ids = t.encode_for_model(words(75));
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids[75], 320);
  EXPECT_EQ(ids[76], kEot);
  // 76 and 1000 tokens are cut so that eot stays last.
  for (int n : {76, 1000}) {
    ids = t.encode_for_model(words(n));
    ASSERT_EQ(ids.size(), 77u);
    EXPECT_EQ(ids[0], kSot);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 320), 75);
    EXPECT_EQ(ids[76], kEot);
  }
  // A word's tokens may be cut in the middle: "ello" is e, llo</w>.
  EXPECT_THAT(t.encode_for_model("hello ello", 4), ElementsAre(kSot, kHello, byte_id('e'), kEot));
  EXPECT_THAT(t.encode_for_model("hello", 2), ElementsAre(kSot, kEot));
  EXPECT_EQ(code_of([&] { t.encode_for_model("hello", 1); }), ErrorCode::kInvalidArgument);

  const std::vector<std::string> texts = {"hello", "café world"};
  const Ids batch = t.encode_batch_for_model(texts);
  ASSERT_EQ(batch.size(), 2u * 77);
  EXPECT_EQ(Ids(batch.begin() + 77, batch.end()), t.encode_for_model("café world"));
}

TEST_F(ClipTokenizerTest, Decodes) {
  const ClipTokenizer t = openai();
  EXPECT_EQ(t.decode(t.encode("Hello, World!")), "hello , world ! ");
  EXPECT_EQ(t.decode(t.encode("café 中 it's")), "café 中 it 's ");
  const Ids special = {kSot, kHello, kEot};
  EXPECT_EQ(t.decode(special), "<|startoftext|>hello <|endoftext|>");
  // Half a character (the first byte of 中) decodes to U+FFFD, as errors="replace".
  const Ids half = {byte_id(0xE4)};
  EXPECT_EQ(t.decode(half), "\uFFFD");
  const Ids bad = {kEot + 1};
  EXPECT_EQ(code_of([&] { t.decode(bad); }), ErrorCode::kInvalidArgument);
}

TEST_F(ClipTokenizerTest, ConcurrentEncodesAgree) {
  const ClipTokenizer t = hf();
  const Ids expected = t.encode("hello world café it's 2024 中文 hello!!!");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        // Distinct words too, so the cache is written while others read it.
        t.encode("word" + std::to_string(k * 1000 + i));
        if (t.encode("hello world café it's 2024 中文 hello!!!") == expected) ++ok[k];
      }
    });
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(ok[k], 200);
}

TEST_F(ClipTokenizerTest, HfIdsComeFromVocabJsonAndTheHeaderIsOptional) {
  nlohmann::json v = vocab_json(kMerges);
  v["hello</w>"] = 40000;
  v["<|endoftext|>"] = 40001;
  testing::write_text(dir_ / "b/vocab.json", v.dump());
  testing::write_text(dir_ / "b/merges.txt", merges_text(kMerges, /*header=*/false));
  const ClipTokenizer t = ClipTokenizer::from_hf(dir_ / "b/vocab.json", dir_ / "b/merges.txt");
  EXPECT_EQ(t.merge_count(), kMerges.size());
  EXPECT_EQ(t.vocab_size(), 40002);
  EXPECT_THAT(t.encode_for_model("hello world", 5), ElementsAre(kSot, 40000, kWorld, 40001, 0));
}

TEST_F(ClipTokenizerTest, OpenAiFileReadsAtMost48894MergesAfterTheHeader) {
  // The full CLIP layout: 512 byte symbols + 48,894 merges + 2 special tokens = 49,408 ids.
  std::string text = "header line, skipped\n";
  for (int i = 0; i < 49000; ++i) text.append("q").append(std::to_string(i)).append(" z\n");
  write_gzip(dir_ / "big.txt.gz", text);
  const ClipTokenizer t = ClipTokenizer::from_openai(dir_ / "big.txt.gz");
  EXPECT_EQ(t.merge_count(), 48894u);
  EXPECT_EQ(t.sot_id(), 49406);
  EXPECT_EQ(t.eot_id(), 49407);
  EXPECT_EQ(t.vocab_size(), 49408);
  // Plain text (not gzip) is read too.
  testing::write_text(dir_ / "plain.txt", "header\n" + merges_text(kMerges, false));
  EXPECT_THAT(ClipTokenizer::load(dir_ / "plain.txt").encode("hello"), ElementsAre(kHello));
}

TEST_F(ClipTokenizerTest, MissingFiles) {
  std::string msg;
  EXPECT_EQ(code_of([&] { ClipTokenizer::from_openai(dir_ / "nope.txt.gz"); }, &msg),
            ErrorCode::kNotFound);
  EXPECT_THAT(msg, HasSubstr("nope.txt.gz"));
  EXPECT_EQ(code_of([&] { ClipTokenizer::load(dir_ / "empty_dir_missing"); }), ErrorCode::kNotFound);
  fs::create_directories(dir_ / "empty");
  EXPECT_EQ(code_of([&] { ClipTokenizer::load(dir_ / "empty"); }, &msg), ErrorCode::kNotFound);
  EXPECT_THAT(msg, HasSubstr("vocab.json"));
  EXPECT_EQ(code_of([&] { ClipTokenizer::from_hf(dir_ / "hf/vocab.json", dir_ / "hf/nope.txt"); },
                    &msg),
            ErrorCode::kNotFound);
  EXPECT_THAT(msg, HasSubstr("nope.txt"));
}

TEST_F(ClipTokenizerTest, MalformedMergesNameTheFileAndLine) {
  std::string msg;
  // Line 3 (after the header) has three symbols.
  testing::write_text(dir_ / "hf/merges.txt", "#version: 0.2\nh e\nl l x\n");
  EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("merges.txt:3"));
  EXPECT_THAT(msg, HasSubstr("'l l x'"));
  // A blank line inside the list.
  testing::write_text(dir_ / "hf/merges.txt", "#version: 0.2\nh e\n\nl l\n");
  EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("merges.txt:3"));
  // The OpenAI file: line 4 has one symbol.
  write_gzip(dir_ / "bad.txt.gz", "header\nh e\nl l\nllo\n");
  EXPECT_EQ(code_of([&] { ClipTokenizer::from_openai(dir_ / "bad.txt.gz"); }, &msg),
            ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("bad.txt.gz:4"));
  // A truncated gzip stream.
  std::string full;
  for (int i = 0; i < 5000; ++i) full.append("q").append(std::to_string(i)).append(" z\n");
  write_gzip(dir_ / "cut.txt.gz", full);
  fs::resize_file(dir_ / "cut.txt.gz", fs::file_size(dir_ / "cut.txt.gz") / 2);
  EXPECT_EQ(code_of([&] { ClipTokenizer::from_openai(dir_ / "cut.txt.gz"); }, &msg),
            ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("cut.txt.gz"));
}

TEST_F(ClipTokenizerTest, VocabularyMissingTokensNamesThem) {
  std::string msg;
  // A merge whose result is not in vocab.json: line 2 of merges.txt ("h e" -> "he").
  nlohmann::json v = vocab_json(kMerges);
  v.erase("he");
  testing::write_text(dir_ / "hf/vocab.json", v.dump());
  EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("merges.txt:2"));
  EXPECT_THAT(msg, HasSubstr("'he'"));
  // No <|endoftext|>.
  v = vocab_json(kMerges);
  v.erase("<|endoftext|>");
  testing::write_text(dir_ / "hf/vocab.json", v.dump());
  EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("vocab.json"));
  EXPECT_THAT(msg, HasSubstr("<|endoftext|>"));
  // No symbol for byte 0xAD with </w>.
  v = vocab_json(kMerges);
  v.erase("Ń</w>");
  testing::write_text(dir_ / "hf/vocab.json", v.dump());
  EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput);
  EXPECT_THAT(msg, HasSubstr("'Ń</w>'"));
  // Not JSON, not an object, an id that is not an integer.
  for (const char* text : {"{\"a\": 1,", "[1, 2]", "{\"a\": \"1\"}", "{\"a\": -1}"}) {
    testing::write_text(dir_ / "hf/vocab.json", text);
    EXPECT_EQ(code_of([&] { hf(); }, &msg), ErrorCode::kBadInput) << text;
    EXPECT_THAT(msg, HasSubstr("vocab.json")) << text;
  }
}

}  // namespace
}  // namespace ensemble::embed
