#include "ensemble/embed/clip_tokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"

namespace ensemble::embed {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEndOfWord = "</w>";
// simple_tokenizer.py reads merges[1 : 49152 - 256 - 2 + 1] of the OpenAI file.
constexpr std::size_t kOpenAiMergeLines = 49152 - 256 - 2;
constexpr std::uint64_t kMaxFileBytes = 256ull << 20;
constexpr std::size_t kCacheMaxEntries = 1 << 16;
constexpr std::size_t kCacheMaxWordBytes = 64;

std::string utf8_of(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

// bytes_to_unicode(): the byte -> code point table, and its inverse for decode().
struct ByteTable {
  std::array<char32_t, 256> code{};
  std::array<std::string, 256> utf8;
  std::unordered_map<char32_t, unsigned char> byte_of;

  ByteTable() {
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) code[b] = printable(b) ? char32_t(b) : next++;
    for (int b = 0; b < 256; ++b) {
      utf8[b] = utf8_of(code[b]);
      byte_of[code[b]] = static_cast<unsigned char>(b);
    }
  }
  // Byte symbols in vocabulary order: the printable bytes ascending, then the others ascending.
  std::vector<int> vocab_order() const {
    std::vector<int> order(256);
    for (int b = 0; b < 256; ++b) order[b] = b;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return code[a] < code[b]; });
    return order;
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

// ---- cleaning -------------------------------------------------------------------------------

// Windows-1252 meanings of &#128; .. &#159;, as Python's html.unescape (0 = the control itself).
constexpr std::array<char32_t, 32> kCp1252 = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

// The numeric reference's text as html.unescape gives it.
std::string numeric_reference(std::uint64_t n) {
  if (n >= 0x80 && n <= 0x9F)
    return utf8_of(kCp1252[n - 0x80] != 0 ? kCp1252[n - 0x80] : static_cast<char32_t>(n));
  if (n == 0 || (n >= 0xD800 && n <= 0xDFFF) || n > 0x10FFFF) return utf8_of(0xFFFD);
  if (n == 0x0D) return "\r";
  const bool invalid = (n >= 0x1 && n <= 0x8) || n == 0xB || (n >= 0xE && n <= 0x1F) ||
                       n == 0x7F || (n >= 0xFDD0 && n <= 0xFDEF) ||
                       (n & 0xFFFE) == 0xFFFE;
  return invalid ? std::string() : utf8_of(static_cast<char32_t>(n));
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_dec(char c) { return c >= '0' && c <= '9'; }

// html.unescape for numeric references and the common named ones (amp, lt, gt, quot, nbsp also
// without ';', as HTML allows; apos only with it). Other named references are left as they are.
std::string html_unescape(std::string_view s) {
  struct Named {
    std::string_view name, text;
    bool legacy;
  };
  static constexpr Named kNamed[] = {{"amp", "&", true},   {"lt", "<", true},
                                     {"gt", ">", true},    {"quot", "\"", true},
                                     {"nbsp", "\xC2\xA0", true}, {"apos", "'", false}};
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    std::size_t j = i + 1;
    if (j < s.size() && s[j] == '#') {
      const bool hex = j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X');
      std::size_t k = j + (hex ? 2 : 1), start = k;
      std::uint64_t n = 0;
      while (k < s.size() && (hex ? is_hex(s[k]) : is_dec(s[k]))) {
        const int d = is_dec(s[k]) ? s[k] - '0' : (std::tolower(s[k]) - 'a' + 10);
        n = std::min<std::uint64_t>(n * (hex ? 16 : 10) + d, 0x7FFFFFFFull);
        ++k;
      }
      if (k > start) {
        if (k < s.size() && s[k] == ';') ++k;
        out += numeric_reference(n);
        i = k;
        continue;
      }
    } else {
      bool done = false;
      for (const Named& e : kNamed) {
        if (s.substr(j, e.name.size()) != e.name) continue;
        const std::size_t end = j + e.name.size();
        const bool semi = end < s.size() && s[end] == ';';
        if (!semi && !e.legacy) continue;
        out += e.text;
        i = end + (semi ? 1 : 0);
        done = true;
        break;
      }
      if (done) continue;
    }
    out += s[i++];
  }
  return out;
}

bool is_white(UChar32 c) { return u_isUWhiteSpace(c) != 0; }
// Python's str.strip() also removes the information separators U+001C..U+001F.
bool is_strip_space(UChar32 c) { return is_white(c) || (c >= 0x1C && c <= 0x1F); }
bool is_letter(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0; }
bool is_number(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_N_MASK) != 0; }

// The cleaned, lower-cased text as code points.
std::u32string clean_code_points(std::string_view text) {
  const std::string unescaped = html_unescape(html_unescape(text));
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(unescaped.data(),
                                                      static_cast<int32_t>(unescaped.size())));
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString normalized = nfc->normalize(u, status);
    if (U_SUCCESS(status)) u = std::move(normalized);
  }
  if (U_FAILURE(status)) throw Error(ErrorCode::kInternal, "ICU NFC normalisation failed");

  // Curly quotes straightened (ftfy's uncurl_quotes), white space collapsed, then stripped.
  std::u32string collapsed;
  collapsed.reserve(static_cast<std::size_t>(u.length()));
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    i = u.moveIndex32(i, 1);
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) c = '\'';
    if (c >= 0x201C && c <= 0x201F) c = '"';
    if (is_white(c)) {
      if (!collapsed.empty() && collapsed.back() == U' ') continue;
      c = ' ';
    }
    collapsed += static_cast<char32_t>(c);
  }
  std::size_t b = 0, e = collapsed.size();
  while (b < e && is_strip_space(collapsed[b])) ++b;
  while (e > b && is_strip_space(collapsed[e - 1])) --e;

  icu::UnicodeString lower;
  for (std::size_t i = b; i < e; ++i) lower.append(static_cast<UChar32>(collapsed[i]));
  lower.toLower(icu::Locale::getRoot());  // on the whole text: final sigma needs its context
  std::u32string out;
  out.reserve(static_cast<std::size_t>(lower.length()));
  for (int32_t i = 0; i < lower.length(); i = lower.moveIndex32(i, 1))
    out += static_cast<char32_t>(lower.char32At(i));
  return out;
}

std::string utf8_of(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) out += utf8_of(c);
  return out;
}

// ---- the split pattern ------------------------------------------------------------------------

// Case-insensitive (simple case folding, as the regex module's IGNORECASE) match of an ASCII
// literal at text[i].
bool matches_at(const std::u32string& text, std::size_t i, std::string_view literal) {
  if (text.size() - i < literal.size()) return false;
  for (std::size_t k = 0; k < literal.size(); ++k) {
    const UChar32 c = static_cast<UChar32>(text[i + k]);
    const UChar32 l = static_cast<unsigned char>(literal[k]);
    if (c != l && u_foldCase(c, U_FOLD_CASE_DEFAULT) != u_foldCase(l, U_FOLD_CASE_DEFAULT))
      return false;
  }
  return true;
}

// The length of the piece CLIP's pattern matches at text[i] (text[i] not white space).
std::size_t piece_length(const std::u32string& text, std::size_t i) {
  static constexpr std::string_view kLiterals[] = {
      ClipTokenizer::kStartOfText, ClipTokenizer::kEndOfText, "'s", "'t", "'re", "'ve", "'m",
      "'ll", "'d"};
  for (std::string_view lit : kLiterals)
    if (matches_at(text, i, lit)) return lit.size();
  const UChar32 c = static_cast<UChar32>(text[i]);
  std::size_t j = i + 1;
  if (is_letter(c)) {
    while (j < text.size() && is_letter(static_cast<UChar32>(text[j]))) ++j;
  } else if (!is_number(c)) {
    while (j < text.size()) {
      const UChar32 d = static_cast<UChar32>(text[j]);
      if (is_white(d) || is_letter(d) || is_number(d)) break;
      ++j;
    }
  }
  return j - i;
}

// ---- files --------------------------------------------------------------------------------------

std::string read_gzip_or_text(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw Error(ErrorCode::kNotFound, "CLIP merges file not found: " + path.string());
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(ErrorCode::kIo, "cannot open " + path.string());
  std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(f, gzclose);
  std::string data;
  std::array<char, 1 << 16> buf;
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw Error(ErrorCode::kBadInput, path.string() + ": corrupt gzip data (" +
                                            std::string(msg ? msg : "?") + ")");
    }
    if (n == 0) break;
    data.append(buf.data(), static_cast<std::size_t>(n));
    if (data.size() > kMaxFileBytes)
      throw Error(ErrorCode::kBadInput, path.string() + ": larger than 256 MiB uncompressed");
  }
  int errnum = 0;
  gzerror(f, &errnum);
  if (errnum != Z_OK && errnum != Z_BUF_ERROR)
    throw Error(ErrorCode::kBadInput, path.string() + ": corrupt gzip data");
  if (errnum == Z_BUF_ERROR)
    throw Error(ErrorCode::kBadInput, path.string() + ": truncated gzip data");
  return data;
}

std::vector<std::string_view> split_lines(std::string_view data) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    std::string_view line = data.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline(s)
  return lines;
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 60;
  return "'" + std::string(s.substr(0, kMax)) + (s.size() > kMax ? "...'" : "'");
}

std::pair<std::string, std::string> parse_merge(std::string_view line, const fs::path& path,
                                                std::size_t line_no) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) parts.push_back(line.substr(start, i - start));
  }
  if (parts.size() != 2)
    throw Error(ErrorCode::kBadInput,
                path.string() + ":" + std::to_string(line_no) +
                    ": malformed merge, expected two symbols separated by a space, got " +
                    quote(line));
  return {std::string(parts[0]), std::string(parts[1])};
}

}  // namespace

// ---- the tokenizer ------------------------------------------------------------------------------

struct ClipTokenizer::Impl {
  std::unordered_map<std::string, std::int64_t> encoder;
  std::unordered_map<std::int64_t, std::string> decoder;
  std::unordered_map<std::string, int> ranks;  // "first second" -> rank
  std::size_t merges = 0;
  std::int64_t sot = 0, eot = 0, size = 0;

  mutable std::mutex cache_mu;
  mutable std::unordered_map<std::string, std::vector<std::string>> cache;

  void add(std::string symbol, std::int64_t id) {
    decoder[id] = symbol;
    encoder[std::move(symbol)] = id;  // a repeated symbol keeps its last id, as dict(zip(...))
    size = std::max(size, id + 1);
  }

  // Checks what encode() relies on: the special tokens and every byte symbol are in the vocabulary
  // (merge results are checked while reading the merges).
  void check_vocab(const fs::path& path) {
    auto id_of = [&](std::string_view symbol) {
      auto it = encoder.find(std::string(symbol));
      if (it == encoder.end())
        throw Error(ErrorCode::kBadInput,
                    path.string() + ": the vocabulary has no " + quote(symbol) + " token");
      return it->second;
    };
    sot = id_of(kStartOfText);
    eot = id_of(kEndOfText);
    for (const std::string& s : byte_table().utf8) {
      id_of(s);
      id_of(s + std::string(kEndOfWord));
    }
  }

  // BPE of one piece: its bytes as symbols, the last with "</w>", merged by rank.
  std::vector<std::string> bpe(std::string_view piece) const {
    const ByteTable& table = byte_table();
    std::vector<std::string> word;
    word.reserve(piece.size());
    for (char ch : piece) word.push_back(table.utf8[static_cast<unsigned char>(ch)]);
    if (word.empty()) return word;
    word.back() += kEndOfWord;

    std::string key;
    auto rank_of = [&](const std::string& a, const std::string& b) {
      key.assign(a).append(" ").append(b);
      auto it = ranks.find(key);
      return it == ranks.end() ? std::numeric_limits<int>::max() : it->second;
    };
    while (word.size() > 1) {
      // The pair of lowest rank; its every occurrence is merged, left to right.
      int best = std::numeric_limits<int>::max();
      std::size_t at = 0;
      for (std::size_t i = 0; i + 1 < word.size(); ++i) {
        const int r = rank_of(word[i], word[i + 1]);
        if (r < best) best = r, at = i;
      }
      if (best == std::numeric_limits<int>::max()) break;
      const std::string first = word[at], second = word[at + 1];
      std::vector<std::string> merged;
      merged.reserve(word.size());
      for (std::size_t i = 0; i < word.size();) {
        if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
          merged.push_back(first + second);
          i += 2;
        } else {
          merged.push_back(std::move(word[i]));
          i += 1;
        }
      }
      word = std::move(merged);
    }
    return word;
  }

  std::vector<std::string> cached_bpe(const std::string& piece) const {
    if (piece.size() > kCacheMaxWordBytes) return bpe(piece);
    {
      std::lock_guard<std::mutex> lock(cache_mu);
      auto it = cache.find(piece);
      if (it != cache.end()) return it->second;
    }
    std::vector<std::string> symbols = bpe(piece);
    std::lock_guard<std::mutex> lock(cache_mu);
    if (cache.size() >= kCacheMaxEntries) cache.clear();
    cache.emplace(piece, symbols);
    return symbols;
  }

  // Calls emit(symbol, id) for each token of the text, stopping after max_tokens.
  template <typename Emit>
  void run(std::string_view text, std::size_t max_tokens, Emit emit) const {
    const std::u32string cps = clean_code_points(text);
    std::size_t count = 0;
    for (std::size_t i = 0; i < cps.size() && count < max_tokens;) {
      if (is_white(static_cast<UChar32>(cps[i]))) {
        ++i;
        continue;
      }
      const std::size_t n = piece_length(cps, i);
      const std::string piece = utf8_of(std::u32string_view(cps).substr(i, n));
      i += n;
      // The special tokens are their own symbols (simple_tokenizer.py seeds its BPE cache with them).
      if (piece == kStartOfText) {
        emit(std::string(kStartOfText), sot), ++count;
        continue;
      }
      if (piece == kEndOfText) {
        emit(std::string(kEndOfText), eot), ++count;
        continue;
      }
      for (std::string& s : cached_bpe(piece)) {
        if (count >= max_tokens) break;
        auto it = encoder.find(s);
        assert(it != encoder.end() && "check_vocab() guarantees every BPE symbol");
        if (it == encoder.end()) throw Error(ErrorCode::kInternal, "BPE symbol not in vocabulary");
        emit(std::move(s), it->second), ++count;
      }
    }
  }
};

ClipTokenizer::ClipTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipTokenizer::ClipTokenizer(ClipTokenizer&&) noexcept = default;
ClipTokenizer& ClipTokenizer::operator=(ClipTokenizer&&) noexcept = default;
ClipTokenizer::~ClipTokenizer() = default;

ClipTokenizer ClipTokenizer::from_hf(const fs::path& vocab_json, const fs::path& merges_txt) {
  auto impl = std::make_unique<Impl>();
  std::error_code ec;
  for (const fs::path& p : {vocab_json, merges_txt})
    if (!fs::is_regular_file(p, ec))
      throw Error(ErrorCode::kNotFound, "CLIP tokenizer file not found: " + p.string());

  const std::string vocab_text = read_file(vocab_json, kMaxFileBytes);
  nlohmann::json vocab;
  try {
    vocab = nlohmann::json::parse(vocab_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kBadInput, vocab_json.string() + ": not valid JSON: " + e.what());
  }
  if (!vocab.is_object())
    throw Error(ErrorCode::kBadInput,
                vocab_json.string() + ": expected a JSON object of symbol -> id");
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
        it.value().get<std::int64_t>() > std::numeric_limits<std::int32_t>::max())
      throw Error(ErrorCode::kBadInput, vocab_json.string() + ": the id of " + quote(it.key()) +
                                            " is not a non-negative integer");
    impl->add(it.key(), it.value().get<std::int64_t>());
  }

  const std::string merges_text = read_file(merges_txt, kMaxFileBytes);
  const std::vector<std::string_view> lines = split_lines(merges_text);
  const std::size_t first = !lines.empty() && lines[0].starts_with("#version") ? 1 : 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    auto [a, b] = parse_merge(lines[i], merges_txt, i + 1);
    if (!impl->encoder.contains(a + b))
      throw Error(ErrorCode::kBadInput,
                  merges_txt.string() + ":" + std::to_string(i + 1) + ": the merge result " +
                      quote(a + b) + " is not in " + vocab_json.filename().string());
    impl->ranks[a + " " + b] = static_cast<int>(impl->merges++);
  }
  impl->check_vocab(vocab_json);
  return ClipTokenizer(std::move(impl));
}

ClipTokenizer ClipTokenizer::from_openai(const fs::path& bpe_file) {
  auto impl = std::make_unique<Impl>();
  const std::string data = read_gzip_or_text(bpe_file);
  const std::vector<std::string_view> lines = split_lines(data);

  const ByteTable& table = byte_table();
  std::int64_t id = 0;
  const std::vector<int> order = table.vocab_order();
  for (int b : order) impl->add(table.utf8[b], id++);
  for (int b : order) impl->add(table.utf8[b] + std::string(kEndOfWord), id++);
  const std::size_t end = std::min(lines.size(), kOpenAiMergeLines + 1);
  for (std::size_t i = 1; i < end; ++i) {
    auto [a, b] = parse_merge(lines[i], bpe_file, i + 1);
    impl->add(a + b, id++);
    impl->ranks[a + " " + b] = static_cast<int>(impl->merges++);
  }
  impl->add(std::string(kStartOfText), id++);
  impl->add(std::string(kEndOfText), id++);
  impl->check_vocab(bpe_file);
  return ClipTokenizer(std::move(impl));
}

ClipTokenizer ClipTokenizer::load(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return from_hf(path / "vocab.json", path / "merges.txt");
  return from_openai(path);
}

std::vector<std::int64_t> ClipTokenizer::encode(std::string_view text) const {
  std::vector<std::int64_t> ids;
  impl_->run(text, std::numeric_limits<std::size_t>::max(),
             [&](std::string&&, std::int64_t id) { ids.push_back(id); });
  return ids;
}

std::vector<std::string> ClipTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> symbols;
  impl_->run(text, std::numeric_limits<std::size_t>::max(),
             [&](std::string&& s, std::int64_t) { symbols.push_back(std::move(s)); });
  return symbols;
}

std::vector<std::int64_t> ClipTokenizer::encode_for_model(std::string_view text, int context) const {
  if (context < 2)
    throw Error(ErrorCode::kInvalidArgument,
                "CLIP context length must be at least 2, got " + std::to_string(context));
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(context));
  ids.push_back(impl_->sot);
  // Words are tokenized independently, so stopping early gives the same prefix as encode().
  impl_->run(text, static_cast<std::size_t>(context - 2),
             [&](std::string&&, std::int64_t id) { ids.push_back(id); });
  ids.push_back(impl_->eot);
  ids.resize(static_cast<std::size_t>(context), 0);
  return ids;
}

std::vector<std::int64_t> ClipTokenizer::encode_batch_for_model(std::span<const std::string> texts,
                                                                int context) const {
  if (context < 2)
    throw Error(ErrorCode::kInvalidArgument,
                "CLIP context length must be at least 2, got " + std::to_string(context));
  std::vector<std::int64_t> out;
  out.reserve(texts.size() * static_cast<std::size_t>(context));
  for (const std::string& t : texts) {
    std::vector<std::int64_t> row = encode_for_model(t, context);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

std::string ClipTokenizer::decode(std::span<const std::int64_t> ids) const {
  std::string symbols;
  for (std::int64_t id : ids) {
    auto it = impl_->decoder.find(id);
    if (it == impl_->decoder.end())
      throw Error(ErrorCode::kInvalidArgument,
                  "token id " + std::to_string(id) + " is not in the CLIP vocabulary");
    symbols += it->second;
  }
  // Symbols -> bytes: each character stands for one byte (characters outside the table, which a
  // hand-made vocabulary might hold, keep their own UTF-8).
  const ByteTable& table = byte_table();
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(symbols.data(), static_cast<int32_t>(symbols.size())));
  std::string bytes;
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    const char32_t c = static_cast<char32_t>(u.char32At(i));
    auto it = table.byte_of.find(c);
    if (it != table.byte_of.end())
      bytes += static_cast<char>(it->second);
    else
      bytes += utf8_of(c);
  }
  // Invalid UTF-8 (a multi-byte character cut between tokens) becomes U+FFFD, as errors="replace".
  std::string text;
  icu::UnicodeString::fromUTF8(icu::StringPiece(bytes.data(), static_cast<int32_t>(bytes.size())))
      .toUTF8String(text);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, kEndOfWord.size(), kEndOfWord) == 0) {
      out += ' ';
      i += kEndOfWord.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::int64_t ClipTokenizer::sot_id() const { return impl_->sot; }
std::int64_t ClipTokenizer::eot_id() const { return impl_->eot; }
std::int64_t ClipTokenizer::vocab_size() const { return impl_->size; }
std::size_t ClipTokenizer::merge_count() const { return impl_->merges; }

std::string_view ClipTokenizer::byte_symbol(unsigned char byte) { return byte_table().utf8[byte]; }

std::string ClipTokenizer::clean_text(std::string_view text) {
  return utf8_of(clean_code_points(text));
}

}  // namespace ensemble::embed
