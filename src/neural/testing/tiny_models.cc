#include "neural/testing/tiny_models.h"

#include <torch/script.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <random>

#include "ensemble/neural/manifest.h"
#include "ensemble/util/fs.h"
#include "ensemble/util/sha256.h"

namespace ensemble::neural::testing {
namespace {

namespace fs = std::filesystem;

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  std::string s(buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Replaces every "{KEY}" in src.
std::string fill(std::string src, const std::vector<std::pair<std::string, std::string>>& subs) {
  for (const auto& [k, v] : subs) {
    const std::string key = "{" + k + "}";
    for (auto pos = src.find(key); pos != std::string::npos; pos = src.find(key, pos + v.size())) {
      src.replace(pos, key.size(), v);
    }
  }
  return src;
}

at::Tensor from_vector(const std::vector<float>& v, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, at::kFloat).clone();
}

TensorSpec spec(std::string name, std::vector<std::int64_t> shape, std::string dtype = "float32") {
  TensorSpec t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.dtype = std::move(dtype);
  return t;
}

void write_decoder(const fs::path& path, const TinySam& m) {
  torch::jit::Module dec("TinySamDecoder");
  dec.register_buffer("radius", torch::tensor({m.radius[0], m.radius[1], m.radius[2]}));
  dec.register_buffer("ious", torch::tensor({m.ious[0], m.ious[1], m.ious[2]}));
  const double step = m.input_size / 256.0;
  dec.define(fill(R"(
def forward(self, image_embeddings: Tensor, point_coords: Tensor, point_labels: Tensor) -> Tuple[Tensor, Tensor]:
    n = point_coords.size(0)
    g = (torch.arange(256, dtype=6) + 0.5) * {STEP}
    px = point_coords[:, 0, 0].reshape(n, 1, 1, 1)
    py = point_coords[:, 0, 1].reshape(n, 1, 1, 1)
    dx = g.view(1, 1, 1, 256) - px
    dy = g.view(1, 1, 256, 1) - py
    d = torch.sqrt(dx * dx + dy * dy)
    masks = (self.radius.view(1, 3, 1, 1) - d) * {SLOPE} + {BIAS} * image_embeddings[0, 0, 0, 0]
    ious = self.ious.view(1, 3).expand(n, 3).contiguous()
    return masks, ious
)",
                  {{"STEP", num(step)}, {"SLOPE", num(m.slope)}, {"BIAS", num(m.bias)}}));
  dec.save(path.string());
}

std::vector<std::pair<std::string, std::string>> sam_files() {
  return {{"image_encoder", "encoder.pt"}, {"mask_decoder", "decoder.pt"}};
}

// QuickGELU transformer pieces shared by the two ViT-shaped benchmark models.
const char* kVitMethods = R"(
def attention(self, x: Tensor, w_qkv: Tensor, b_qkv: Tensor, w_o: Tensor, b_o: Tensor) -> Tensor:
    n = x.size(0)
    t = x.size(1)
    c = x.size(2)
    qkv = (torch.matmul(x, w_qkv) + b_qkv).view(n, t, 3, {HEADS}, c // {HEADS}).permute(2, 0, 3, 1, 4)
    a = torch.softmax(torch.matmul(qkv[0], qkv[1].transpose(-2, -1)) * {SCALE}, -1)
    o = torch.matmul(a, qkv[2]).permute(0, 2, 1, 3).reshape(n, t, c)
    return torch.matmul(o, w_o) + b_o

def block(self, x: Tensor, p: List[Tensor]) -> Tensor:
    c = x.size(2)
    x = x + self.attention(torch.layer_norm(x, [c], p[0], p[1], 1e-5), p[2], p[3], p[4], p[5])
    y = torch.matmul(torch.layer_norm(x, [c], p[6], p[7], 1e-5), p[8]) + p[9]
    y = y * torch.sigmoid(1.702 * y)
    return x + torch.matmul(y, p[10]) + p[11]
)";

void add_blocks(torch::jit::Module& m, int blocks, int width, int mlp) {
  for (int b = 0; b < blocks; ++b) {
    const std::string p = "b" + std::to_string(b) + "_";
    m.register_parameter(p + "ln1w", torch::ones({width}), false);
    m.register_parameter(p + "ln1b", torch::zeros({width}), false);
    m.register_parameter(p + "wqkv", torch::randn({width, 3 * width}) * 0.02, false);
    m.register_parameter(p + "bqkv", torch::zeros({3 * width}), false);
    m.register_parameter(p + "wo", torch::randn({width, width}) * 0.02, false);
    m.register_parameter(p + "bo", torch::zeros({width}), false);
    m.register_parameter(p + "ln2w", torch::ones({width}), false);
    m.register_parameter(p + "ln2b", torch::zeros({width}), false);
    m.register_parameter(p + "w1", torch::randn({width, mlp}) * 0.02, false);
    m.register_parameter(p + "b1", torch::zeros({mlp}), false);
    m.register_parameter(p + "w2", torch::randn({mlp, width}) * 0.02, false);
    m.register_parameter(p + "b2", torch::zeros({width}), false);
  }
}

std::string block_params(int b) {
  const std::string p = "self.b" + std::to_string(b) + "_";
  std::string s = "[";
  const char* names[] = {"ln1w", "ln1b", "wqkv", "bqkv", "wo", "bo", "ln2w", "ln2b", "w1", "b1", "w2", "b2"};
  for (int i = 0; i < 12; ++i) s += (i ? ", " : "") + p + names[i];
  return s + "]";
}

// UTF-8 of a code point below 0x800 (all that bytes_to_unicode needs).
std::string utf8(int cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// A valid CLIP BPE vocabulary without merges: the 256 byte symbols (CLIP's bytes_to_unicode order),
// the same with "</w>", <|startoftext|> and <|endoftext|> (ids 512, 513). Every word becomes one
// token per byte.
std::string minimal_vocab_json() {
  std::vector<int> bs;
  for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
  std::vector<int> cs = bs;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
      bs.push_back(b);
      cs.push_back(256 + n++);
    }
  }
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  int id = 0;
  for (int c : cs) v[utf8(c)] = id++;
  for (int c : cs) v[utf8(c) + "</w>"] = id++;
  v["<|startoftext|>"] = id++;
  v["<|endoftext|>"] = id++;
  return v.dump() + "\n";
}

}  // namespace

fs::path write_manifest(const fs::path& dir, const std::string& manifest_name, const std::string& family,
                        int input_size, int embedding_dim,
                        const std::vector<std::pair<std::string, std::string>>& files,
                        const std::array<float, 3>& mean, const std::array<float, 3>& std, int context_length) {
  Manifest m;
  m.family = family;
  m.name = "tiny-" + family;
  m.version = "test-1";
  m.input_size = input_size;
  m.mean = mean;
  m.std = std;
  m.embedding_dim = embedding_dim;
  for (const auto& [role, file] : files) {
    ModelFile f;
    f.role = role;
    f.path = dir / file;
    f.sha256 = sha256_file_hex(f.path);
    if (role == "image_encoder") {
      f.inputs = {spec("image", {1, 3, input_size, input_size})};
      f.outputs = {spec("image_embeddings", {1, 256, 64, 64})};
    } else if (role == "mask_decoder") {
      f.inputs = {spec("image_embeddings", {1, 256, 64, 64}), spec("point_coords", {-1, 1, 2}),
                  spec("point_labels", {-1, 1})};
      f.outputs = {spec("masks", {-1, 3, 256, 256}), spec("iou_predictions", {-1, 3})};
    } else if (role == "image") {
      f.inputs = {spec("pixels", {-1, 3, input_size, input_size})};
      f.outputs = {spec("embedding", {-1, embedding_dim})};
    } else if (role == "text") {
      f.inputs = {spec("tokens", {-1, context_length}, "int64")};
      f.outputs = {spec("embedding", {-1, embedding_dim})};
    }
    m.files.push_back(std::move(f));
  }
  if (family == "clip" && m.find("text")) {
    TokenizerFiles t;
    t.vocab = dir / "vocab.json";
    t.merges = dir / "merges.txt";
    t.context_length = context_length;
    if (!fs::exists(t.vocab)) write_file_atomic(t.vocab, minimal_vocab_json());
    if (!fs::exists(t.merges)) write_file_atomic(t.merges, "#version: 0.2\n");
    m.tokenizer = t;
  }
  const fs::path path = dir / manifest_name;
  write_file_atomic(path, to_json(m, dir));
  return path;
}

fs::path write_tiny_sam(const fs::path& dir, const TinySam& m) {
  fs::create_directories(dir);
  const int block = m.input_size / 64;
  torch::jit::Module enc("TinySamEncoder");
  auto proj = torch::zeros({256, 3});
  for (int c = 0; c < 256; ++c) proj[c][c % 3] = 1.0 + c / 3;
  enc.register_parameter("proj", proj, false);
  enc.define(fill(R"(
def forward(self, image: Tensor) -> Tensor:
    x = image.view(1, 3, 64, {B}, 64, {B}).mean([3, 5]).reshape(3, 4096)
    return torch.matmul(self.proj, x).view(1, 256, 64, 64)
)",
                  {{"B", std::to_string(block)}}));
  enc.save((dir / "encoder.pt").string());
  write_decoder(dir / "decoder.pt", m);
  return write_manifest(dir, "sam.json", "sam", m.input_size, 256, sam_files(), m.mean, m.std);
}

fs::path write_tiny_clip(const fs::path& dir, TinyClip& m) {
  fs::create_directories(dir);
  std::mt19937 rng(m.seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  m.proj.resize(static_cast<std::size_t>(192) * m.dim);
  for (auto& v : m.proj) v = u(rng);
  torch::jit::Module image("TinyClipImage");
  image.register_parameter("proj", from_vector(m.proj, {192, m.dim}), false);
  const int block = m.input_size / 8;
  image.define(fill(R"(
def forward(self, pixels: Tensor) -> Tensor:
    n = pixels.size(0)
    x = pixels.reshape(n, 3, 8, {B}, 8, {B}).mean([3, 5]).reshape(n, 192)
    return torch.matmul(x, self.proj)
)",
                    {{"B", std::to_string(block)}}));
  image.save((dir / "image.pt").string());
  std::vector<std::pair<std::string, std::string>> files = {{"image", "image.pt"}};
  if (m.text) {
    m.table.resize(static_cast<std::size_t>(m.vocab) * m.dim);
    for (auto& v : m.table) v = u(rng);
    torch::jit::Module text("TinyClipText");
    text.register_parameter("table", from_vector(m.table, {m.vocab, m.dim}), false);
    text.define(fill(R"(
def forward(self, tokens: Tensor) -> Tensor:
    n = tokens.size(0)
    l = tokens.size(1)
    idx = torch.remainder(tokens, {V}).reshape(-1)
    return self.table.index_select(0, idx).view(n, l, {D}).sum(1)
)",
                     {{"V", std::to_string(m.vocab)}, {"D", std::to_string(m.dim)}}));
    text.save((dir / "text.pt").string());
    files.emplace_back("text", "text.pt");
  }
  return write_manifest(dir, "clip.json", "clip", m.input_size, m.dim, files, m.mean, m.std, m.context_length);
}

fs::path write_vit_b32_clip(const fs::path& dir) {
  fs::create_directories(dir);
  torch::manual_seed(1);
  const int width = 768, blocks = 12;
  torch::jit::Module m("VitB32Image");
  m.register_parameter("patch", torch::randn({3 * 32 * 32, width}) * 0.02, false);
  m.register_parameter("cls", torch::randn({width}) * 0.02, false);
  m.register_parameter("pos", torch::randn({50, width}) * 0.02, false);
  m.register_parameter("lnpre_w", torch::ones({width}), false);
  m.register_parameter("lnpre_b", torch::zeros({width}), false);
  m.register_parameter("lnpost_w", torch::ones({width}), false);
  m.register_parameter("lnpost_b", torch::zeros({width}), false);
  m.register_parameter("proj", torch::randn({width, 512}) * 0.02, false);
  add_blocks(m, blocks, width, 4 * width);
  std::string body;
  for (int b = 0; b < blocks; ++b) body += "    x = self.block(x, " + block_params(b) + ")\n";
  m.define(fill(kVitMethods, {{"HEADS", "12"}, {"SCALE", num(1.0 / 8.0)}}) + R"(
def forward(self, pixels: Tensor) -> Tensor:
    n = pixels.size(0)
    x = pixels.reshape(n, 3, 7, 32, 7, 32).permute(0, 2, 4, 1, 3, 5).reshape(n, 49, 3072)
    x = torch.matmul(x, self.patch)
    x = torch.cat([self.cls.view(1, 1, 768).expand(n, 1, 768), x], 1) + self.pos
    x = torch.layer_norm(x, [768], self.lnpre_w, self.lnpre_b, 1e-5)
)" + body + R"(
    x = torch.layer_norm(x[:, 0, :], [768], self.lnpost_w, self.lnpost_b, 1e-5)
    return torch.matmul(x, self.proj)
)");
  m.save((dir / "vit_b32.pt").string());
  return write_manifest(dir, "vit_b32.json", "clip", 224, 512, {{"image", "vit_b32.pt"}},
                        {0.48145466f, 0.4578275f, 0.40821073f}, {0.26862954f, 0.26130258f, 0.27577711f});
}

fs::path write_vit_b_sam(const fs::path& dir) {
  fs::create_directories(dir);
  torch::manual_seed(2);
  const int width = 768, blocks = 12;
  torch::jit::Module m("SamVitBEncoder");
  m.register_parameter("patch", torch::randn({3 * 16 * 16, width}) * 0.02, false);
  m.register_parameter("pos", torch::randn({4096, width}) * 0.02, false);
  m.register_parameter("neck1", torch::randn({width, 256}) * 0.02, false);
  m.register_parameter("neck_ln_w", torch::ones({256}), false);
  m.register_parameter("neck_ln_b", torch::zeros({256}), false);
  m.register_parameter("neck2", torch::randn({256, 256, 3, 3}) * 0.02, false);
  add_blocks(m, blocks, width, 4 * width);
  std::string body;
  for (int b = 0; b < blocks; ++b) {
    const bool global = b % 3 == 2;
    if (global) {
      body += "    x = self.block(x.reshape(1, 4096, 768), " + block_params(b) + ")\n";
    } else {
      // 16 windows of 16 × 16 tokens.
      body += "    x = x.reshape(1, 4, 16, 4, 16, 768).permute(0, 1, 3, 2, 4, 5).reshape(16, 256, 768)\n";
      body += "    x = self.block(x, " + block_params(b) + ")\n";
      body += "    x = x.reshape(1, 4, 4, 16, 16, 768).permute(0, 1, 3, 2, 4, 5).reshape(1, 4096, 768)\n";
    }
  }
  m.define(fill(kVitMethods, {{"HEADS", "12"}, {"SCALE", num(1.0 / 8.0)}}) + R"(
def forward(self, image: Tensor) -> Tensor:
    x = image.reshape(1, 3, 64, 16, 64, 16).permute(0, 2, 4, 1, 3, 5).reshape(1, 4096, 768)
    x = torch.matmul(x, self.patch) + self.pos
)" + body + R"(
    x = torch.layer_norm(torch.matmul(x, self.neck1), [256], self.neck_ln_w, self.neck_ln_b, 1e-6)
    x = x.reshape(1, 64, 64, 256).permute(0, 3, 1, 2).contiguous()
    return torch.conv2d(x, self.neck2, None, [1, 1], [1, 1])
)");
  m.save((dir / "encoder.pt").string());
  write_decoder(dir / "decoder.pt", TinySam{});
  return write_manifest(dir, "sam_vit_b.json", "sam", 1024, 256, sam_files(), {0.485f, 0.456f, 0.406f},
                        {0.229f, 0.224f, 0.225f});
}

}  // namespace ensemble::neural::testing
