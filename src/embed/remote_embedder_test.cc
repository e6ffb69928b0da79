// The HTTP embedder against a local cpp-httplib server on 127.0.0.1 (loopback only), with
// failure injection: 5xx then success, persistent 5xx, malformed JSON, wrong shapes, slow
// responses, a closed port, 4xx with the endpoint's message.
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "embed/base64.h"
#include "embed/test_images.h"
#include "ensemble/embed/remote_embedder.h"
#include "ensemble/util/error.h"

namespace ensemble::embed {
namespace {

namespace fix = ensemble::embed::testing;
using nlohmann::json;

enum class Mode { kOk, kBadJson, kWrongDim, kWrongCount, kNull, kZero, kSlow, kBadRequest };

// A fake model server: the "embedding" of an image is its mean B, G, R plus constants, padded
// to kDim, so the test can check which row belongs to which image.
class FakeEndpoint {
 public:
  static constexpr int kDim = 8;

  FakeEndpoint() {
    server_.Post("/embed", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeEndpoint() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/embed"; }
  std::atomic<int> fail_first{0};        // answer 503 to this many requests first
  std::atomic<Mode> mode{Mode::kOk};
  std::atomic<int> requests{0};
  std::atomic<int> images_seen{0};
  std::string expect_token;
  std::string last_format;

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    int n = ++requests;
    if (!expect_token.empty() && req.get_header_value("Authorization") != "Bearer " + expect_token) {
      res.status = 401;
      res.set_content(R"({"error":"bad token"})", "application/json");
      return;
    }
    if (n <= fail_first) {
      res.status = 503;
      res.set_content(R"({"error":"warming up"})", "application/json");
      return;
    }
    Mode m = mode;
    if (m == Mode::kSlow) {
      for (int i = 0; i < 100 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (m == Mode::kBadRequest) {
      res.status = 400;
      res.set_content(R"({"error":{"message":"image 0 is not a JPEG"}})", "application/json");
      return;
    }
    if (m == Mode::kBadJson) {
      res.set_content("{\"embeddings\": [[1, 2,", "application/json");
      return;
    }
    json body = json::parse(req.body);
    last_format = body.value("format", "");
    json rows = json::array();
    for (const auto& img : body["images"]) {
      std::string bytes = detail::base64_decode(img.get<std::string>());
      cv::Mat m = cv::imdecode(std::vector<uchar>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
      ++images_seen;
      cv::Scalar mean = cv::mean(m);
      json row = json::array();
      int dim = m.empty() ? 0 : (mode == Mode::kWrongDim ? kDim - 1 : kDim);
      for (int d = 0; d < dim; ++d) row.push_back(d < 3 ? mean[d] : 10.0 * (d + 1));
      if (mode == Mode::kNull) row[0] = nullptr;
      if (mode == Mode::kZero) row = json(std::vector<double>(kDim, 0.0));
      rows.push_back(row);
    }
    if (mode == Mode::kWrongCount) rows.erase(rows.begin());
    res.set_content(json{{"embeddings", rows}}.dump(), "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

RemoteOptions fast_options() {
  RemoteOptions o;
  o.dim = FakeEndpoint::kDim;
  o.batch_size = 2;
  o.timeout_s = 5;
  o.max_retries = 3;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.05;
  o.image_side = 64;
  return o;
}

std::vector<cv::Mat> products(int n) {
  std::vector<cv::Mat> out;
  const cv::Scalar colours[] = {{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {120, 120, 120}, {0, 200, 200}};
  for (int i = 0; i < n; ++i) out.push_back(fix::product(i, colours[i % 5]));
  return out;
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error(ErrorCode::kInternal, "none");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(RemoteEmbedder, BatchesKeepOrderAndNormalise) {
  FakeEndpoint server;
  RemoteEmbedder e(server.url(), fast_options(), 2);
  auto imgs = products(5);
  auto v = e.embed(imgs);
  ASSERT_EQ(v.rows, 5);
  ASSERT_EQ(v.dim, FakeEndpoint::kDim);
  EXPECT_EQ(server.requests, 3);  // batches of 2, 2, 1
  EXPECT_EQ(server.images_seen, 5);
  EXPECT_EQ(server.last_format, "jpeg");
  for (int i = 0; i < 5; ++i) {
    double ss = 0;
    for (int d = 0; d < v.dim; ++d) ss += v.row(i)[d] * v.row(i)[d];
    EXPECT_NEAR(ss, 1.0, 1e-5);
  }
  // Row 0 is the blue product (BGR 200,30,30): its first component dominates the next two.
  EXPECT_GT(v.row(0)[0], v.row(0)[1]);
  EXPECT_GT(v.row(1)[1], v.row(1)[0]);
  EXPECT_GT(v.row(2)[2], v.row(2)[1]);
  EXPECT_EQ(e.id(), "remote:" + server.url() + "#v1#dim=8#in=jpeg64");
}

TEST(RemoteEmbedder, RetriesServiceUnavailableWithBackoff) {
  FakeEndpoint server;
  server.fail_first = 2;
  RemoteEmbedder e(server.url(), fast_options());
  auto v = e.embed(products(1));
  EXPECT_EQ(v.rows, 1);
  EXPECT_EQ(server.requests, 3);
}

TEST(RemoteEmbedder, GivesUpAfterRetriesWithTheEndpointsMessage) {
  FakeEndpoint server;
  server.fail_first = 1000;
  auto o = fast_options();
  o.max_retries = 2;
  RemoteEmbedder e(server.url(), o);
  Error err = error_of([&] { e.embed(products(1)); });
  EXPECT_EQ(err.code(), ErrorCode::kIo);
  EXPECT_TRUE(contains(err.what(), "503")) << err.what();
  EXPECT_TRUE(contains(err.what(), "warming up")) << err.what();
  EXPECT_TRUE(contains(err.what(), "3 attempt")) << err.what();
  EXPECT_EQ(server.requests, 3);
}

TEST(RemoteEmbedder, MalformedOrMisshapenResponsesAreBadInputWithoutRetry) {
  const std::pair<Mode, const char*> cases[] = {{Mode::kBadJson, "malformed JSON"},
                                                {Mode::kWrongDim, "dimension 7, expected 8"},
                                                {Mode::kWrongCount, "1 embeddings for 2 images"},
                                                {Mode::kNull, "non-numeric"},
                                                {Mode::kZero, "all zeros"}};
  for (auto [mode, message] : cases) {
    FakeEndpoint server;
    server.mode = mode;
    RemoteEmbedder e(server.url(), fast_options());
    Error err = error_of([&] { e.embed(products(2)); });
    EXPECT_EQ(err.code(), ErrorCode::kBadInput) << message;
    EXPECT_TRUE(contains(err.what(), message)) << err.what();
    EXPECT_EQ(server.requests, 1) << message;
  }
}

TEST(RemoteEmbedder, ClientErrorsFailAtOnceWithTheEndpointsMessage) {
  FakeEndpoint server;
  server.mode = Mode::kBadRequest;
  RemoteEmbedder e(server.url(), fast_options());
  Error err = error_of([&] { e.embed(products(1)); });
  EXPECT_EQ(err.code(), ErrorCode::kIo);
  EXPECT_TRUE(contains(err.what(), "HTTP 400")) << err.what();
  EXPECT_TRUE(contains(err.what(), "image 0 is not a JPEG")) << err.what();
  EXPECT_EQ(server.requests, 1);
}

TEST(RemoteEmbedder, BearerTokenIsSent) {
  FakeEndpoint server;
  server.expect_token = "s3cret";
  auto o = fast_options();
  o.bearer_token = "s3cret";
  EXPECT_EQ(RemoteEmbedder(server.url(), o).embed(products(1)).rows, 1);
  o.bearer_token = "wrong";
  EXPECT_EQ(error_of([&] { RemoteEmbedder(server.url(), o).embed(products(1)); }).code(), ErrorCode::kIo);
}

TEST(RemoteEmbedder, TimesOutAndRetriesSlowResponses) {
  FakeEndpoint server;
  server.mode = Mode::kSlow;  // answers after ~1 s
  auto o = fast_options();
  o.timeout_s = 0.2;
  o.max_retries = 1;
  RemoteEmbedder e(server.url(), o);
  auto t0 = std::chrono::steady_clock::now();
  Error err = error_of([&] { e.embed(products(1)); });
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(err.code(), ErrorCode::kIo);
  EXPECT_TRUE(contains(err.what(), "timeout")) << err.what();
  EXPECT_LT(s, 2.0);
}

TEST(RemoteEmbedder, UnreachableEndpoint) {
  std::string url;
  {
    FakeEndpoint closed;  // take a free port, then close it
    url = closed.url();
  }
  auto o = fast_options();
  o.max_retries = 1;
  Error err = error_of([&] { RemoteEmbedder(url, o).embed(products(1)); });
  EXPECT_EQ(err.code(), ErrorCode::kIo);
  EXPECT_TRUE(contains(err.what(), "failed after 2 attempt")) << err.what();
  EXPECT_TRUE(contains(err.what(), url)) << err.what();
}

TEST(RemoteEmbedder, FactoryAndOptionChecks) {
  FakeEndpoint server;
  EmbedderOptions options;
  options.remote = fast_options();
  options.remote.image_format = "png";
  auto e = make_embedder("remote:" + server.url(), options);
  EXPECT_EQ(e->embed(products(3)).rows, 3);
  EXPECT_EQ(server.last_format, "png");
  EXPECT_EQ(spec_of_id(e->id()), "remote:" + server.url());
  // Nothing is sent for a bad input image: it fails before any request.
  std::vector<cv::Mat> bad = {cv::Mat()};
  int before = server.requests;
  EXPECT_EQ(error_of([&] { e->embed(bad); }).code(), ErrorCode::kBadInput);
  EXPECT_EQ(server.requests, before);

  auto o = fast_options();
  for (auto tweak : std::vector<std::function<void(RemoteOptions&)>>{
           [](RemoteOptions& r) { r.batch_size = 0; }, [](RemoteOptions& r) { r.dim = 0; },
           [](RemoteOptions& r) { r.timeout_s = 0; }, [](RemoteOptions& r) { r.image_format = "webp"; }}) {
    RemoteOptions bad_o = o;
    tweak(bad_o);
    EXPECT_EQ(error_of([&] { RemoteEmbedder(server.url(), bad_o); }).code(), ErrorCode::kInvalidArgument);
  }
  for (const char* url : {"127.0.0.1:80/embed", "http://", "http://h/e#frag"}) {
    EXPECT_EQ(error_of([&] { RemoteEmbedder(url, o); }).code(), ErrorCode::kInvalidArgument) << url;
  }
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)}) {
    EXPECT_EQ(detail::base64_decode(detail::base64_encode(s)), s);
  }
  EXPECT_EQ(detail::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_THROW(detail::base64_decode("abc"), Error);
  EXPECT_THROW(detail::base64_decode("ab!d"), Error);
}

}  // namespace
}  // namespace ensemble::embed
