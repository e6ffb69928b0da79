// End-to-end: the real `ensemble serve` over the --small sample, driven with httplib's client
// (docs/API.md). The database is built once with the CLI; the server runs for the whole suite and
// is stopped with SIGTERM by the last test.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

#include "server_support.h"
#include "testing/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ensemble::testing::run_cli;
using ensemble::testing::ServerProcess;

constexpr const char* kToken = "s3cret-token";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Percent-encodes everything but letters and digits.
std::string encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

json body_of(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

// Asserts the error shape and returns its code.
std::string error_code(const httplib::Result& r) {
  const auto j = body_of(r);
  EXPECT_TRUE(j.is_object() && j.contains("error")) << (r ? r->body : "no response");
  if (!j.is_object() || !j.contains("error")) return "";
  EXPECT_TRUE(j["error"]["message"].is_string());
  return j["error"]["code"].get<std::string>();
}

class ServerApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ensemble::testing::TempDir();
    const auto& d = dir_->path();
    for (const std::string args : {"sample --small --out sample", "--db s.db catalog import sample/catalog.csv",
                                   "--db s.db lookbooks import sample/lookbooks", "--db s.db run"}) {
      const auto r = run_cli(d, args);
      ASSERT_EQ(r.code, 0) << args << "\n" << r.out;
    }
    // A web root, a secret beside it and a symlink leading out of it.
    fs::create_directories(d / "web" / "js");
    ensemble::testing::write_text(d / "web" / "index.html", "<!doctype html><title>Ensemble</title>");
    ensemble::testing::write_text(d / "web" / "js" / "app.js", "console.log('ok');");
    ensemble::testing::write_text(d / "secret.txt", "TOP-SECRET");
    fs::create_symlink(d, d / "web" / "out");
    {
      std::ifstream csv(d / "sample" / "catalog.csv");
      std::string header, line;
      std::getline(csv, header);
      std::getline(csv, line);
      first_ = line.substr(0, line.find(','));
    }
    server_ = new ServerProcess(d, {"--quiet", "--db", "s.db", "serve", "--port", "0", "--web", "web",
                                    "--token", kToken, "--threads", "8", "--reload-interval", "0.2"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    c.set_write_timeout(120, 0);
    return c;
  }
  static json get_json(const std::string& path, int status = 200) {
    auto c = client();
    const auto r = c.Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos) << path;
    return body_of(r);
  }
  static json post_json(const std::string& path, const json& body, int status = 200) {
    auto c = client();
    const auto r = c.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << " " << body.dump() << ": " << r->body;
    return body_of(r);
  }
  static std::string product_image(const std::string& id) {
    return read_bytes(dir_->path() / "sample" / "products" / (id + ".jpg"));
  }
  static std::int64_t products_count() {
    return get_json("/api/stats")["tables"]["products"].get<std::int64_t>();
  }

  static ensemble::testing::TempDir* dir_;
  static ServerProcess* server_;
  static std::string first_;
};
ensemble::testing::TempDir* ServerApi::dir_ = nullptr;
ServerProcess* ServerApi::server_ = nullptr;
std::string ServerApi::first_;

TEST_F(ServerApi, HealthStatsRunsAndMetrics) {
  const auto h = get_json("/healthz");
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["search"], "ready");
  const auto s = get_json("/api/stats");
  EXPECT_GT(s["tables"]["products"].get<int>(), 100);
  EXPECT_EQ(s["index"]["status"], "ready");
  EXPECT_EQ(s["index"]["size"], s["tables"]["products"]);
  const auto runs = get_json("/api/runs?limit=3")["runs"];
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_GT(runs[0]["id"].get<int>(), runs[1]["id"].get<int>());
  EXPECT_TRUE(runs[0].contains("model_id"));
  const auto one = get_json("/api/runs/" + std::to_string(runs[0]["id"].get<int>()));
  EXPECT_TRUE(one.contains("config"));
  EXPECT_EQ(error_code(client().Get("/api/runs/999999")), "not_found");
  // A request is counted by httplib's logger after its response is written, so a client can see the
  // response before the count: wait (at most 5 s) for the /api/stats line.
  const std::string stats_line =
      "ensemble_http_requests_total{route=\"/api/stats\",method=\"GET\",status=\"200\"}";
  auto c = client();
  auto m = c.Get("/metrics");
  for (int i = 0; i < 50 && m && m->body.find(stats_line) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    m = c.Get("/metrics");
  }
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find(stats_line), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("ensemble_http_request_duration_seconds_bucket{route=\"/api/runs/{id}\""),
            std::string::npos);
  EXPECT_NE(m->body.find("ensemble_index_vectors "), std::string::npos);
  EXPECT_NE(m->body.find("ensemble_products "), std::string::npos);
}

TEST_F(ServerApi, SearchByTextProductAndImage) {
  const auto text = post_json("/api/search", {{"text", "dress"}, {"k", 3}});
  ASSERT_EQ(text["results"].size(), 3u);
  for (const auto& h : text["results"]) {
    for (const char* key : {"product", "score", "title", "category", "image"}) EXPECT_TRUE(h.contains(key));
  }
  const auto more = post_json("/api/search", {{"product", first_}, {"k", 4}});
  ASSERT_EQ(more["results"].size(), 4u);
  for (const auto& h : more["results"]) EXPECT_NE(h["product"], first_);

  auto c = client();
  httplib::MultipartFormDataItems form = {{"image", product_image(first_), first_ + ".jpg", "image/jpeg"},
                                          {"k", "3", "", ""}};
  const auto r = c.Post("/api/search", form);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto img = body_of(r);
  ASSERT_EQ(img["results"].size(), 3u);
  EXPECT_EQ(img["results"][0]["product"], first_);
  // The image is a URL the browser can load: the stored photo itself.
  const std::string url = img["results"][0]["image"];
  ASSERT_EQ(url.rfind("/media/", 0), 0u) << url;
  const auto media = c.Get(url.c_str());
  ASSERT_TRUE(media);
  EXPECT_EQ(media->status, 200);
  EXPECT_EQ(media->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(media->body, product_image(first_));

  EXPECT_EQ(error_code(c.Post("/api/search", json{{"product", "nope"}}.dump(), "application/json")), "not_found");
  EXPECT_EQ(post_json("/api/search", {{"text", "dress"}, {"k", 0}}, 400)["error"]["code"], "bad_input");
  EXPECT_EQ(post_json("/api/search", {{"k", 3}}, 400)["error"]["code"], "bad_request");
}

TEST_F(ServerApi, CompleteTheLookFromAPhoto) {
  auto c = client();
  httplib::MultipartFormDataItems form = {
      {"image", read_bytes(dir_->path() / "sample" / "lookbooks" / "lb0001.jpg"), "lb.jpg", "image/jpeg"}};
  const auto r = c.Post("/api/complete", form);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto look = body_of(r);
  ASSERT_FALSE(look["regions"].empty()) << r->body.substr(0, 500);
  EXPECT_TRUE(look["outfit"].is_array());
  EXPECT_TRUE(look.contains("plan"));
  for (const auto& item : look["outfit"]) {
    EXPECT_EQ(item["image"].get<std::string>().rfind("/media/", 0), 0u) << item.dump();
  }
  // JSON is not how a photo is sent.
  const auto wrong = c.Post("/api/complete", "{}", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 415);
}

TEST_F(ServerApi, ProductRoutes) {
  const auto p = get_json("/api/products/" + first_);
  EXPECT_EQ(p["id"], first_);
  EXPECT_EQ(p["image"].get<std::string>().rfind("/media/", 0), 0u);
  EXPECT_TRUE(p["attributes"].is_object());
  const auto rec = get_json("/api/products/" + first_ + "/recommendations?k=5");
  EXPECT_EQ(rec["product"], first_);
  ASSERT_TRUE(rec["recommendations"].is_array());
  EXPECT_LE(rec["recommendations"].size(), 5u);
  for (const auto& r : rec["recommendations"]) EXPECT_TRUE(r.contains("image") && r.contains("title"));
  const auto outfit = get_json("/api/products/" + first_ + "/outfit");
  EXPECT_TRUE(outfit["outfit"].is_array());
  const auto where = get_json("/api/products/" + first_ + "/lookbooks?k=3");
  ASSERT_FALSE(where["lookbooks"].empty());
  EXPECT_EQ(where["lookbooks"][0]["bbox"].size(), 4u);
  EXPECT_EQ(where["lookbooks"][0]["image"].get<std::string>().rfind("/media/", 0), 0u);
  for (const std::string suffix : {"", "/recommendations", "/outfit", "/lookbooks"}) {
    EXPECT_EQ(get_json("/api/products/nope" + suffix, 404)["error"]["code"], "not_found") << suffix;
  }
  EXPECT_EQ(get_json("/api/products/" + first_ + "/recommendations?k=abc", 400)["error"]["code"],
            "invalid_argument");
}

TEST_F(ServerApi, LookbookRoutes) {
  const auto list = get_json("/api/lookbooks?limit=5");
  EXPECT_GT(list["total"].get<int>(), 5);
  ASSERT_EQ(list["lookbooks"].size(), 5u);
  const auto page2 = get_json("/api/lookbooks?offset=5&limit=5");
  EXPECT_NE(page2["lookbooks"][0]["id"], list["lookbooks"][0]["id"]);
  const std::string id = list["lookbooks"][0]["id"];
  const auto lb = get_json("/api/lookbooks/" + id);
  ASSERT_FALSE(lb["regions"].empty());
  bool matched = false;
  for (const auto& r : lb["regions"]) {
    EXPECT_EQ(r["bbox"].size(), 4u);
    EXPECT_GE(r["polygon"].size(), 3u) << r.dump();
    for (const auto& pt : r["polygon"]) {
      EXPECT_GE(pt[0].get<int>(), 0);
      EXPECT_LE(pt[0].get<int>(), lb["width"].get<int>());
    }
    if (!r["matches"].empty()) {
      matched = true;
      EXPECT_TRUE(r["matches"][0].contains("title"));
    }
  }
  EXPECT_TRUE(matched);
  EXPECT_EQ(get_json("/api/lookbooks/nope", 404)["error"]["code"], "not_found");
  EXPECT_EQ(get_json("/api/lookbooks?limit=0", 400)["error"]["code"], "invalid_argument");
}

TEST_F(ServerApi, FeedbackNeedsTheToken) {
  const auto rec = get_json("/api/products/" + first_ + "/recommendations?k=1")["recommendations"];
  const json vote = {{"product", first_},
                     {"other", rec.empty() ? std::string("p000001") : rec[0]["product"].get<std::string>()},
                     {"vote", "up"},
                     {"user", "qa"},
                     {"note", "looks good"}};
  auto c = client();
  const auto none = c.Post("/api/feedback", vote.dump(), "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(error_code(none), "unauthorized");
  c.set_bearer_token_auth("wrong");
  const auto wrong = c.Post("/api/feedback", vote.dump(), "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  c.set_bearer_token_auth(kToken);
  if (!rec.empty()) {
    const auto ok = c.Post("/api/feedback", vote.dump(), "application/json");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 201) << ok->body;
    EXPECT_GT(body_of(ok)["id"].get<int>(), 0);
  }
  json bad = vote;
  bad["vote"] = "sideways";
  const auto r1 = c.Post("/api/feedback", bad.dump(), "application/json");
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, 400);
  bad = vote;
  bad["other"] = "nope";
  const auto r2 = c.Post("/api/feedback", bad.dump(), "application/json");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 404) << r2->body;
}

TEST_F(ServerApi, BadUploadsAndBodiesAreClientErrors) {
  auto c = client();
  const auto upload = [&c](const std::string& bytes) {
    return c.Post("/api/search", httplib::MultipartFormDataItems{{"image", bytes, "x.jpg", "image/jpeg"}});
  };
  // Corrupt: a JPEG signature and garbage.
  auto r = upload(std::string("\xFF\xD8\xFF\xE0", 4) + std::string(300, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(error_code(r), "bad_input");
  r = upload("hello, not an image");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = upload(product_image(first_).substr(0, 200));  // truncated
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  // A PNG whose header declares 100000 x 100000 pixels: refused before decoding.
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x02\0\0\0", 29);
  png += std::string(4, '\0') + std::string(100, '\0');
  r = upload(png);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_EQ(error_code(r), "too_large");
  // Multipart without the image field, wrong content type, malformed JSON, a JSON array, wrong types.
  r = c.Post("/api/search", httplib::MultipartFormDataItems{{"k", "3", "", ""}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = c.Post("/api/search", "text=dress", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  for (const std::string body : {"{\"text\": ", "[1,2]", "{\"text\": 5}", "{\"text\":\"a\",\"k\":\"x\"}", ""}) {
    r = c.Post("/api/search", body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << ": " << r->body;
    EXPECT_EQ(error_code(r), "bad_request") << body;
  }
  // A body declared broken multipart.
  r = c.Post("/api/search", "--xyz\r\ngarbage", "multipart/form-data; boundary=xyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  // Over the 20 MB default: 413, with the JSON error shape.
  r = c.Post("/api/search", std::string(21u << 20, 'a'), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(error_code(r), "too_large");
  // The server is still fine.
  EXPECT_EQ(get_json("/healthz")["status"], "ok");
}

TEST_F(ServerApi, UnknownRoutesAndMethods) {
  EXPECT_EQ(get_json("/api/nope", 404)["error"]["code"], "not_found");
  auto c = client();
  auto r = c.Post("/api/nope", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(error_code(r), "not_found");
  r = c.Post("/api/stats", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  r = c.Get("/api/search");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(error_code(c.Get("/nope.html")), "not_found");
}

TEST_F(ServerApi, StaticFilesStayInsideTheWebRoot) {
  auto c = client();
  auto r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("Ensemble"), std::string::npos);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  r = c.Get("/js/app.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("javascript"), std::string::npos);
  for (const std::string path :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/js/../../secret.txt", "/js/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt", "/out/secret.txt", "/out/s.db", "//etc/passwd", "/%2fetc%2fpasswd",
        "/media/../s.db", "/media/%2e%2e%2fs.db", "/media/0000.jpg", "/js/"}) {
    r = c.Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path << ": " << r->body.substr(0, 100);
    EXPECT_EQ(r->body.find("TOP-SECRET"), std::string::npos) << path;
    EXPECT_EQ(r->body.find("SQLite"), std::string::npos) << path;
  }
}

TEST_F(ServerApi, InjectionStringsAreJustData) {
  const auto before = products_count();
  const std::vector<std::string> evil = {"' OR '1'='1", "x'; DROP TABLE products; --", "\" OR 1=1 --",
                                         "%' UNION SELECT * FROM runs --", "p000001' --", "\\'; --",
                                         "*", "NEAR(a b)", "dress\" OR \"1"};
  auto c = client();
  c.set_bearer_token_auth(kToken);
  for (const auto& e : evil) {
    const std::string enc = encode(e);
    for (const std::string& path : {"/api/products/" + enc, "/api/products/" + enc + "/recommendations",
                                   "/api/products/" + enc + "/outfit", "/api/products/" + enc + "/lookbooks",
                                   "/api/lookbooks/" + enc, "/api/runs/" + enc, "/api/lookbooks?limit=" + enc,
                                   "/api/runs?limit=" + enc, "/media/" + enc}) {
      const auto r = c.Get(path.c_str());
      ASSERT_TRUE(r) << path;
      EXPECT_LT(r->status, 500) << path << ": " << r->body;
      EXPECT_GE(r->status, 400) << path;
    }
    for (const json& body : {json{{"text", e}}, json{{"product", e}}, json{{"text", "dress"}, {"category", e}},
                             json{{"product", first_}, {"text", e}}}) {
      const auto r = c.Post("/api/search", body.dump(), "application/json");
      ASSERT_TRUE(r);
      EXPECT_LT(r->status, 500) << body.dump() << ": " << r->body;
    }
    const json fb = {{"product", e}, {"other", first_}, {"vote", "up"}, {"user", e}, {"note", e}};
    const auto r = c.Post("/api/feedback", fb.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_LT(r->status, 500) << r->body;
    EXPECT_GE(r->status, 400);
  }
  EXPECT_EQ(products_count(), before);
}

TEST_F(ServerApi, ConcurrentRequestsAllSucceed) {
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  const std::string photo = read_bytes(dir_->path() / "sample" / "lookbooks" / "lb0003.jpg");
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      // One photo look per thread too: each worker has its own PhotoLook over its own connection.
      const auto look = c.Post("/api/complete", httplib::MultipartFormDataItems{{"image", photo, "lb.jpg", "image/jpeg"}});
      (look && look->status == 200 && body_of(look).contains("outfit") ? ok : bad)++;
      for (int i = 0; i < 50; ++i) {
        const auto r = [&]() -> httplib::Result {
          switch ((t + i) % 5) {
            case 0: return c.Post("/api/search", json{{"text", "red dress"}, {"k", 5}}.dump(), "application/json");
            case 1: return c.Post("/api/search", json{{"product", first_}, {"k", 5}}.dump(), "application/json");
            case 2: return c.Get(("/api/products/" + first_ + "/recommendations").c_str());
            case 3: return c.Get("/api/lookbooks?limit=3");
            default: return c.Get(("/api/products/" + first_).c_str());
          }
        }();
        (r && r->status == 200 ? ok : bad)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), 408);
}

TEST_F(ServerApi, TenThousandRequestsKeepMemoryStable) {
  const auto burst = [](int n_per_thread, std::atomic<int>& server_errors) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        auto c = client();
        for (int i = 0; i < n_per_thread; ++i) {
          const auto r = [&]() -> httplib::Result {
            switch ((t * 7 + i) % 8) {
              case 0: return c.Get("/healthz");
              case 1: return c.Post("/api/search", json{{"text", "shirt"}, {"k", 3}}.dump(), "application/json");
              case 2: return c.Post("/api/search", "{broken", "application/json");
              case 3: return c.Get("/api/products/nope");
              case 4: return c.Get(("/api/products/" + first_).c_str());
              case 5: return c.Post("/api/search", json{{"product", first_}, {"k", 3}}.dump(), "application/json");
              case 6: return c.Get("/api/unknown/route");
              default:
                return c.Post("/api/search",
                              httplib::MultipartFormDataItems{{"image", "garbage", "g.jpg", "image/jpeg"}});
            }
          }();
          if (!r || r->status >= 500) server_errors++;
        }
      });
    }
    for (auto& th : threads) th.join();
  };
  std::atomic<int> errors{0};
  burst(250, errors);  // warm-up: 1,000 requests (connections, caches, allocator arenas)
  const long before = server_->rss_kib();
  burst(2250, errors);  // 9,000 more
  const long after = server_->rss_kib();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_GT(before, 0);
  // Generous: allocator noise, not a leak per request (a leak of 1 KiB per request is ~9 MiB).
  EXPECT_LT(after, before + 64 * 1024) << "VmRSS " << before << " KiB -> " << after << " KiB";
  std::printf("[ server VmRSS: %ld KiB after warm-up, %ld KiB after 9,000 more requests ]\n", before, after);
}

// Runs last but one: it changes the database (more products, a second pipeline run).
TEST_F(ServerApi, ReloadsANewSnapshotWithoutDroppingRequests) {
  const auto& d = dir_->path();
  const auto stats = get_json("/api/stats");
  const std::int64_t old_size = stats["index"]["size"];
  const std::uint64_t old_gen = stats["snapshot"]["generation"];
  // Ten new products: copies of existing photos under new ids.
  {
    std::ifstream in(d / "sample" / "catalog.csv");
    std::string header, line;
    std::getline(in, header);
    std::string csv = header + "\n";
    for (int i = 0; i < 10 && std::getline(in, line); ++i) {
      csv += "new" + std::to_string(i) + line.substr(line.find(',')) + "\n";
    }
    ensemble::testing::write_text(d / "sample" / "more.csv", csv);  // image paths relative to it
  }
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::set<std::string> known;
  std::mutex mu;
  std::vector<std::thread> readers;
  struct JoinAll {  // stops and joins the readers however the test ends
    std::atomic<bool>& done;
    std::vector<std::thread>& threads;
    ~JoinAll() {
      done = true;
      for (auto& th : threads) {
        if (th.joinable()) th.join();
      }
    }
  } join_all{done, readers};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      auto c = client();
      while (!done) {
        const auto r = c.Post("/api/search", json{{"product", first_}, {"k", 5}}.dump(), "application/json");
        const auto j = body_of(r);
        if (!r || r->status != 200 || j["results"].size() != 5u) {
          failed++;
          continue;
        }
        ok++;
        std::lock_guard lock(mu);
        for (const auto& h : j["results"]) known.insert(h["product"].get<std::string>());
      }
    });
  }
  const auto import = run_cli(d, "--db s.db catalog import sample/more.csv");
  ASSERT_EQ(import.code, 0) << import.out;
  const auto run = run_cli(d, "--db s.db run");
  ASSERT_EQ(run.code, 0) << run.out;
  // The server notices the finished run (polling every 0.2 s); no deadline beyond ctest's.
  json now;
  for (;;) {
    now = get_json("/api/stats");
    if (now["index"]["size"].get<std::int64_t>() == old_size + 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(failed.load(), 0);
  std::printf("[ %d searches answered during the reload ]\n", ok.load());
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(now["snapshot"]["generation"].get<std::uint64_t>(), old_gen);
  // Every product any response named exists (old or new state, never a torn one).
  for (const auto& id : known) get_json("/api/products/" + id);
  // The new products are searchable now.
  const auto hits = post_json("/api/search", {{"product", "new0"}, {"k", 3}});
  EXPECT_EQ(hits["results"].size(), 3u);
}

TEST_F(ServerApi, APortInUseIsRefused) {
  // Exits (code 2) instead of sharing the port: the constructor throws when no URL is printed.
  EXPECT_THROW(ServerProcess(dir_->path(), {"--quiet", "--db", "s.db", "serve", "--port",
                                            std::to_string(server_->port())}),
               std::runtime_error);
}

TEST_F(ServerApi, ZzSigtermStopsGracefully) {
  ASSERT_TRUE(server_->running());
  // A photo request in flight when SIGTERM arrives is answered in full (or, if the signal won the
  // race to the accept, refused at the connection), never cut off with an error status.
  httplib::Result look(nullptr, httplib::Error::Unknown);
  std::thread inflight([&look] {
    auto c = client();
    look = c.Post("/api/complete", httplib::MultipartFormDataItems{
                                       {"image", read_bytes(dir_->path() / "sample" / "lookbooks" / "lb0002.jpg"),
                                        "lb.jpg", "image/jpeg"}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server_->stop(SIGTERM), 0);
  inflight.join();
  if (look) {
    EXPECT_EQ(look->status, 200);
    EXPECT_TRUE(body_of(look).contains("outfit"));
  }
}

}  // namespace
