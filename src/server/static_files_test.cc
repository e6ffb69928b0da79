#include "server/static_files.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/metrics.h"
#include "testing/temp_dir.h"

namespace ensemble::server {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_text(dir_ / "web" / "index.html", "<html>home</html>");
    testing::write_text(dir_ / "web" / "js" / "app.js", "let a = 1;");
    testing::write_text(dir_ / "secret.txt", "SECRET");
    fs::create_symlink(dir_.path(), dir_ / "web" / "escape");
    sha_ = std::string(64, 'a');
    testing::write_text(dir_ / "media" / "aa" / (sha_ + ".jpg"), "JPEGDATA");
  }
  testing::TempDir dir_;
  std::string sha_;
};

TEST_F(StaticFilesTest, ServesFilesInsideTheRootWithTheirTypes) {
  const StaticFiles files(dir_ / "web", dir_ / "media");
  const auto home = files.web("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->body, "<html>home</html>");
  EXPECT_EQ(home->content_type, "text/html; charset=utf-8");
  const auto js = files.web("/js/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  const auto img = files.media(sha_ + ".jpg");
  ASSERT_TRUE(img);
  EXPECT_EQ(img->body, "JPEGDATA");
  EXPECT_EQ(img->content_type, "image/jpeg");
}

TEST_F(StaticFilesTest, RefusesEverythingOutsideTheRoot) {
  const StaticFiles files(dir_ / "web", dir_ / "media");
  const std::vector<std::string> web_paths = {"/../secret.txt", "/js/../../secret.txt", "/escape/secret.txt",
                              "//etc/passwd", "/js", "/js/", "/nope.html", "", "relative.html",
                              std::string("/index.html\0x", 13), "/..\\secret.txt"};
  for (const auto& p : web_paths) {
    EXPECT_FALSE(files.web(p)) << p;
  }
  const std::vector<std::string> names = {"../secret.txt", sha_ + ".exe", sha_ + ".png", "aa.jpg",
                                         std::string(64, 'A') + ".jpg", "../../" + sha_ + ".jpg"};
  for (const auto& n : names) {
    EXPECT_FALSE(files.media(n)) << n;
  }
  // No web root: no UI at all.
  EXPECT_FALSE(StaticFiles("", dir_ / "media").web("/"));
  EXPECT_FALSE(StaticFiles(dir_ / "missing", dir_ / "media").web("/"));
}

TEST(Metrics, RendersCountersHistogramsAndGauges) {
  Metrics m;
  m.record("/api/search", "POST", 200, 0.003);
  m.record("/api/search", "POST", 200, 0.2);
  m.record("/api/search", "POST", 400, 20.0);
  m.count_reload();
  const std::string text = m.render({{"ensemble_products", 400}});
  EXPECT_NE(text.find("ensemble_http_requests_total{route=\"/api/search\",method=\"POST\",status=\"200\"} 2"),
            std::string::npos) << text;
  EXPECT_NE(text.find("ensemble_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.005\"} 1"),
            std::string::npos) << text;
  EXPECT_NE(text.find("ensemble_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.25\"} 2"),
            std::string::npos) << text;
  EXPECT_NE(text.find("ensemble_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"+Inf\"} 3"),
            std::string::npos) << text;
  EXPECT_NE(text.find("ensemble_http_request_duration_seconds_count{route=\"/api/search\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("ensemble_snapshot_reloads_total 1"), std::string::npos);
  EXPECT_NE(text.find("ensemble_products 400"), std::string::npos);
}

}  // namespace
}  // namespace ensemble::server
