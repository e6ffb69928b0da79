#include "ensemble/neural/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "ensemble/util/error.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/sha256.h"

namespace ensemble::neural {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Manifests are a few kB; anything much larger is not a manifest.
constexpr std::uint64_t kMaxManifestBytes = 1 << 20;

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
  throw Error(ErrorCode::kBadInput, "model manifest " + path.string() + ": " + what);
}

const json& need(const json& j, const char* key, const fs::path& path, const std::string& where = {}) {
  if (!j.is_object() || !j.contains(key)) fail(path, "missing field '" + where + key + "'");
  return j.at(key);
}

std::string need_string(const json& j, const char* key, const fs::path& path, const std::string& where = {}) {
  const json& v = need(j, key, path, where);
  if (!v.is_string() || v.get<std::string>().empty()) {
    fail(path, "field '" + where + key + "' must be a non-empty string");
  }
  return v.get<std::string>();
}

int need_positive_int(const json& j, const char* key, const fs::path& path, const std::string& where = {}) {
  const json& v = need(j, key, path, where);
  if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > 1 << 20) {
    fail(path, "field '" + where + key + "' must be a positive integer");
  }
  return v.get<int>();
}

std::array<float, 3> need_triple(const json& j, const char* key, const fs::path& path, bool positive) {
  const json& v = need(j, key, path);
  if (!v.is_array() || v.size() != 3) fail(path, std::string("field '") + key + "' must be 3 numbers (R, G, B)");
  std::array<float, 3> out{};
  for (int i = 0; i < 3; ++i) {
    if (!v[i].is_number() || !std::isfinite(v[i].get<double>()) || (positive && !(v[i].get<double>() > 0))) {
      fail(path, std::string("field '") + key + "' must be 3 finite numbers" + (positive ? " > 0" : ""));
    }
    out[i] = v[i].get<float>();
  }
  return out;
}

std::vector<TensorSpec> tensor_specs(const json& j, const char* key, const fs::path& path, const std::string& where) {
  const json& v = need(j, key, path, where);
  if (!v.is_array() || v.empty()) fail(path, "field '" + where + key + "' must be a non-empty list");
  std::vector<TensorSpec> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = where + key + "[" + std::to_string(i) + "].";
    TensorSpec t;
    t.name = need_string(v[i], "name", path, at);
    const json& shape = need(v[i], "shape", path, at);
    if (!shape.is_array() || shape.empty()) fail(path, "field '" + at + "shape' must be a non-empty list");
    for (const auto& d : shape) {
      if (!d.is_number_integer() || (d.get<std::int64_t>() < 1 && d.get<std::int64_t>() != -1)) {
        fail(path, "field '" + at + "shape' must hold positive integers or -1 (any size)");
      }
      t.shape.push_back(d.get<std::int64_t>());
    }
    if (v[i].contains("dtype")) {
      t.dtype = need_string(v[i], "dtype", path, at);
      if (t.dtype != "float32" && t.dtype != "int64") fail(path, "field '" + at + "dtype' must be float32 or int64");
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

fs::path resolve(const fs::path& dir, const std::string& file) {
  fs::path p(file);
  return p.is_absolute() ? p : (dir / p).lexically_normal();
}

void require_file(const fs::path& manifest, const fs::path& file, const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error(ErrorCode::kNotFound, "model manifest " + manifest.string() + ": " + what + " " +
                                          file.string() + " does not exist");
  }
}

std::vector<std::string> required_roles(const std::string& family) {
  if (family == "sam") return {"image_encoder", "mask_decoder"};
  if (family == "clip") return {"image"};
  return {};
}

}  // namespace

std::string TensorSpec::shape_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const ModelFile* Manifest::find(std::string_view role) const {
  for (const auto& f : files) {
    if (f.role == role) return &f;
  }
  return nullptr;
}

const ModelFile& Manifest::file(std::string_view role) const {
  if (const ModelFile* f = find(role)) return *f;
  fail(path, "no file for role '" + std::string(role) + "'");
}

std::string Manifest::id() const {
  std::string all;
  for (const auto& f : files) all += f.role + "=" + f.sha256 + ";";
  return name + "@" + version + "#sha=" + sha256_hex(all).substr(0, 12);
}

Manifest parse_manifest(std::string_view text, const fs::path& path, std::string_view family) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) fail(path, "not a JSON object");
  Manifest m;
  m.path = path;
  const json& ver = need(j, "manifest_version", path);
  if (!ver.is_number_integer()) fail(path, "field 'manifest_version' must be an integer");
  m.manifest_version = ver.get<int>();
  if (m.manifest_version != kManifestVersion) {
    fail(path, "unsupported manifest_version " + std::to_string(m.manifest_version) + " (this build reads version " +
                   std::to_string(kManifestVersion) + "; see docs/MODELS.md)");
  }
  m.family = need_string(j, "family", path);
  if (required_roles(m.family).empty()) fail(path, "unknown family '" + m.family + "' (expected 'sam' or 'clip')");
  if (!family.empty() && m.family != family) {
    throw Error(ErrorCode::kInvalidArgument, "model manifest " + path.string() + " describes a '" + m.family +
                                                 "' model, not a '" + std::string(family) + "' one");
  }
  m.name = need_string(j, "name", path);
  m.version = need_string(j, "version", path);
  m.input_size = need_positive_int(j, "input_size", path);
  m.mean = need_triple(j, "mean", path, false);
  m.std = need_triple(j, "std", path, true);
  m.embedding_dim = need_positive_int(j, "embedding_dim", path);

  const fs::path dir = path.parent_path();
  const json& files = need(j, "files", path);
  if (!files.is_object() || files.empty()) fail(path, "field 'files' must be an object of role: file");
  for (const auto& [role, f] : files.items()) {
    const std::string where = "files." + role + ".";
    ModelFile mf;
    mf.role = role;
    mf.path = resolve(dir, need_string(f, "file", path, where));
    mf.sha256 = need_string(f, "sha256", path, where);
    std::transform(mf.sha256.begin(), mf.sha256.end(), mf.sha256.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!is_hex64(mf.sha256)) fail(path, "field '" + where + "sha256' must be 64 hex digits");
    mf.inputs = tensor_specs(f, "inputs", path, where);
    mf.outputs = tensor_specs(f, "outputs", path, where);
    m.files.push_back(std::move(mf));
  }
  // Role order is fixed (sorted) so that id() does not depend on how the JSON was written.
  std::sort(m.files.begin(), m.files.end(), [](const ModelFile& a, const ModelFile& b) { return a.role < b.role; });
  for (const auto& role : required_roles(m.family)) {
    if (!m.find(role)) fail(path, "a '" + m.family + "' manifest needs files." + role);
  }
  if (j.contains("tokenizer")) {
    const json& t = j.at("tokenizer");
    TokenizerFiles tf;
    tf.vocab = resolve(dir, need_string(t, "vocab", path, "tokenizer."));
    tf.merges = resolve(dir, need_string(t, "merges", path, "tokenizer."));
    if (t.contains("context_length")) tf.context_length = need_positive_int(t, "context_length", path, "tokenizer.");
    m.tokenizer = tf;
  }
  if (m.family == "clip" && m.find("text") && !m.tokenizer) fail(path, "files.text needs a 'tokenizer' entry");

  for (const auto& f : m.files) require_file(path, f.path, "model file (files." + f.role + ")");
  if (m.tokenizer) {
    require_file(path, m.tokenizer->vocab, "tokenizer vocabulary");
    require_file(path, m.tokenizer->merges, "tokenizer merges");
  }
  return m;
}

Manifest load_manifest(const fs::path& path, std::string_view family) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorCode::kNotFound, "model manifest " + path.string() + " does not exist");
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > kMaxManifestBytes) fail(path, "too large to be a manifest (over 1 MB)");
  return parse_manifest(read_file(path, kMaxManifestBytes), fs::absolute(path).lexically_normal(), family);
}

void verify_checksums(const Manifest& m) {
  for (const auto& f : m.files) {
    const std::string actual = sha256_file_hex(f.path);
    if (actual != f.sha256) {
      throw Error(ErrorCode::kBadInput, "model file " + f.path.string() + " (files." + f.role + " of " +
                                            m.path.string() + "): checksum mismatch: sha256 is " + actual +
                                            ", the manifest says " + f.sha256 +
                                            " (truncated, replaced or re-exported without updating the manifest?)");
    }
  }
}

std::string to_json(const Manifest& m, const fs::path& relative_to) {
  auto rel = [&](const fs::path& p) {
    const fs::path r = p.lexically_relative(relative_to);
    return (r.empty() || *r.begin() == "..") ? p.string() : r.string();
  };
  auto specs = [](const std::vector<TensorSpec>& v) {
    json a = json::array();
    for (const auto& t : v) {
      json e = {{"name", t.name}, {"shape", t.shape}};
      if (t.dtype != "float32") e["dtype"] = t.dtype;
      a.push_back(e);
    }
    return a;
  };
  nlohmann::ordered_json j;
  j["manifest_version"] = m.manifest_version;
  j["family"] = m.family;
  j["name"] = m.name;
  j["version"] = m.version;
  j["input_size"] = m.input_size;
  j["mean"] = m.mean;
  j["std"] = m.std;
  j["embedding_dim"] = m.embedding_dim;
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const auto& f : m.files) {
    files[f.role] = {{"file", rel(f.path)}, {"sha256", f.sha256}, {"inputs", specs(f.inputs)}, {"outputs", specs(f.outputs)}};
  }
  j["files"] = files;
  if (m.tokenizer) {
    j["tokenizer"] = {{"vocab", rel(m.tokenizer->vocab)}, {"merges", rel(m.tokenizer->merges)},
                      {"context_length", m.tokenizer->context_length}};
  }
  return j.dump(2) + "\n";
}

}  // namespace ensemble::neural
