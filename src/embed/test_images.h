// Test fixtures for the embed tests: small synthetic "products" (a garment shape on white) and
// "lookbook" scenes that paste a product onto clutter with its mask.
#pragma once

#include <random>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace ensemble::embed::testing {

// Garment silhouettes on a 100×100 grid: 0 T-shirt, 1 trousers, 2 dress, 3 shoe, 4 bag, 5 hat.
inline std::vector<cv::Point> silhouette(int kind) {
  switch (kind % 6) {
    case 0: return {{20, 15}, {40, 10}, {60, 10}, {80, 15}, {95, 35}, {80, 45}, {75, 35}, {75, 90}, {25, 90}, {25, 35}, {20, 45}, {5, 35}};
    case 1: return {{30, 5}, {70, 5}, {75, 95}, {57, 95}, {50, 30}, {43, 95}, {25, 95}};
    case 2: return {{38, 5}, {62, 5}, {60, 30}, {85, 95}, {15, 95}, {40, 30}};
    case 3: return {{5, 60}, {40, 55}, {60, 30}, {75, 30}, {95, 70}, {95, 85}, {5, 85}};
    case 4: return {{15, 35}, {85, 35}, {90, 90}, {10, 90}};
    default: return {{20, 60}, {30, 25}, {50, 15}, {70, 25}, {80, 60}, {95, 70}, {5, 70}};
  }
}

// A product photo: silhouette `kind` in `colour` (BGR), optional stripes, on white, side×side.
inline cv::Mat product(int kind, cv::Scalar colour, bool stripes = false, int side = 160) {
  cv::Mat img(side, side, CV_8UC3, cv::Scalar(255, 255, 255));
  std::vector<cv::Point> poly;
  for (auto p : silhouette(kind)) poly.push_back({side / 10 + p.x * side * 8 / 1000, side / 10 + p.y * side * 8 / 1000});
  cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, colour, cv::LINE_AA);
  if (stripes) {
    cv::Mat mask(img.size(), CV_8UC1, cv::Scalar(0));
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{poly}, cv::Scalar(255));
    for (int y = 0; y < side; y += side / 10) {
      cv::Mat band = img(cv::Rect(0, y, side, std::min(side / 20, side - y)));
      band.setTo(cv::Scalar(255 - colour[0], 255 - colour[1], 255 - colour[2]), mask(cv::Rect(0, y, side, band.rows)));
    }
  }
  return img;
}

// A catalog of distinct products: every (kind, colour, stripes) combination of a small palette.
inline std::vector<cv::Mat> catalog() {
  const cv::Scalar palette[] = {{40, 40, 200}, {200, 60, 30}, {40, 160, 40}, {30, 30, 30}, {0, 200, 230}};
  std::vector<cv::Mat> out;
  for (int kind = 0; kind < 6; ++kind)
    for (const auto& c : palette)
      for (bool s : {false, true}) out.push_back(product(kind, c, s));
  return out;
}

// A busy 240×320 scene with the product pasted at `scale`, and the paste's mask.
inline void lookbook(const cv::Mat& product_img, double scale, int seed, cv::Mat* scene, cv::Mat* mask) {
  std::mt19937 rng(seed);
  *scene = cv::Mat(320, 240, CV_8UC3);
  cv::randu(*scene, cv::Scalar::all(60), cv::Scalar::all(200));
  cv::GaussianBlur(*scene, *scene, cv::Size(9, 9), 0);
  for (int i = 0; i < 12; ++i)
    cv::circle(*scene, {static_cast<int>(rng() % 240), static_cast<int>(rng() % 320)}, 5 + rng() % 30,
               cv::Scalar(rng() % 256, rng() % 256, rng() % 256), cv::FILLED);
  cv::Mat p;
  cv::resize(product_img, p, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::Mat fg;
  cv::inRange(p, cv::Scalar::all(245), cv::Scalar::all(255), fg);
  fg = 255 - fg;
  cv::Rect where(30, 60, p.cols, p.rows);
  p.copyTo((*scene)(where), fg);
  *mask = cv::Mat::zeros(scene->size(), CV_8UC1);
  fg.copyTo((*mask)(where));
}

inline cv::Mat jpeg(const cv::Mat& m, int quality) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(buf, cv::IMREAD_COLOR);
}

}  // namespace ensemble::embed::testing
