#include "sample/lookbook_composer.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "sample/accessories.h"

namespace ensemble::sample {
namespace {

// A stand-in Fashion-MNIST image: a bright blob of the category's rough shape.
cv::Mat silhouette(int category) {
  cv::Mat g(28, 28, CV_8UC1, cv::Scalar(0));
  switch (category) {
    case 1: cv::rectangle(g, cv::Rect(9, 1, 10, 26), cv::Scalar(170), cv::FILLED); break;  // trousers
    case 5:
    case 7:
    case 9: cv::rectangle(g, cv::Rect(2, 14, 24, 9), cv::Scalar(170), cv::FILLED); break;  // shoe
    case 8: cv::rectangle(g, cv::Rect(4, 8, 20, 16), cv::Scalar(170), cv::FILLED); break;  // bag
    default: cv::rectangle(g, cv::Rect(4, 2, 20, 24), cv::Scalar(170), cv::FILLED); break;
  }
  return g;
}

class LookbookComposerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 0 top, 1 trousers, 2 coat, 3 sneakers, 4 bag, 5 watch, 6 hat, 7 dress, 8 sandals, 9 bag,
    // 10 sunglasses, 11 belt
    const int categories[] = {0, 1, 4, 7, 8, kWatch, kHat, 3, 5, 8, kSunglasses, kBelt};
    for (int i = 0; i < 12; ++i) {
      ProductSpec p;
      p.id = product_id(i);
      p.category = categories[i];
      p.colour = i % kColourCount;
      p.colour2 = (i + 5) % kColourCount;
      p.render_seed = 100 + static_cast<std::uint64_t>(i);
      products_.push_back(p);
      if (is_accessory(p.category)) {
        art_.push_back(render_accessory(p, 160));
      } else {
        const cv::Mat g = silhouette(p.category);
        art_.push_back(render_garment(g.data, 28, 28, p, 160));
      }
    }
    Outfit a;
    a.items = {{0, Slot::kTop, false},   {1, Slot::kBottom, false}, {2, Slot::kOuterwear, false},
               {3, Slot::kShoes, false}, {4, Slot::kBag, false},    {5, Slot::kAccessory, true},
               {6, Slot::kAccessory, false}};
    Outfit b;
    b.template_id = 2;
    b.items = {{7, Slot::kDress, false}, {8, Slot::kShoes, false}, {9, Slot::kBag, false},
               {10, Slot::kAccessory, false}, {11, Slot::kAccessory, false}};
    one_.id = "lb0000";
    one_.render_seed = 5;
    one_.outfits = {a};
    two_.id = "lb0001";
    two_.render_seed = 6;
    two_.outfits = {a, b};
  }

  ComposedLookbook compose(const LookbookPlan& plan) const {
    return compose_lookbook(plan, products_, [this](int i) -> const ProductArt& {
      return art_[static_cast<std::size_t>(i)];
    });
  }

  std::vector<ProductSpec> products_;
  std::vector<ProductArt> art_;
  LookbookPlan one_, two_;
};

void expect_inside(const cv::Rect& r, cv::Size size, const std::string& what) {
  EXPECT_GT(r.width, 0) << what;
  EXPECT_GT(r.height, 0) << what;
  EXPECT_GE(r.x, 0) << what;
  EXPECT_GE(r.y, 0) << what;
  EXPECT_LE(r.x + r.width, size.width) << what;
  EXPECT_LE(r.y + r.height, size.height) << what;
}

TEST_F(LookbookComposerTest, GroundTruthBoxesAndMasksLieInsideTheImage) {
  for (const LookbookPlan* plan : {&one_, &two_}) {
    const ComposedLookbook c = compose(*plan);
    const cv::Mat img = cv::imdecode(std::vector<uchar>(c.jpeg.begin(), c.jpeg.end()), cv::IMREAD_COLOR);
    ASSERT_EQ(img.size(), cv::Size(640, 860));
    EXPECT_GE(c.jpeg_quality, 60);
    EXPECT_LE(c.jpeg_quality, 85);
    ASSERT_EQ(c.outfits.size(), plan->outfits.size());
    for (std::size_t o = 0; o < c.outfits.size(); ++o) {
      expect_inside(c.outfits[o].figure_box, c.size, "figure");
      ASSERT_EQ(c.outfits[o].items.size(), plan->outfits[o].items.size());
      for (std::size_t i = 0; i < c.outfits[o].items.size(); ++i) {
        const ItemTruth& t = c.outfits[o].items[i];
        const std::string what = plan->id + " item " + std::to_string(i);
        expect_inside(t.box, c.size, what);
        expect_inside(t.full_box, c.size, what);
        EXPECT_EQ((t.box & t.full_box), t.box) << what << ": the visible part lies in the whole";
        EXPECT_GT(t.visible_fraction, 0.0) << what;
        EXPECT_LE(t.visible_fraction, 1.0) << what;
        EXPECT_FALSE(t.polygons.empty()) << what;
        for (const auto& poly : t.polygons) {
          for (const cv::Point& p : poly) EXPECT_TRUE(t.full_box.contains(p)) << what;
        }
      }
    }
  }
}

TEST_F(LookbookComposerTest, ItemsAreLaidOutLikeWornAndOverlapALittle) {
  const ComposedLookbook c = compose(one_);
  const auto& items = c.outfits[0].items;
  const cv::Rect top = items[0].full_box, bottom = items[1].full_box, shoes = items[3].full_box,
                 hat = items[6].full_box;
  EXPECT_LT(hat.y, top.y);                                 // hat above the top
  EXPECT_LT(top.y + top.height / 2, bottom.y + bottom.height / 2);
  EXPECT_GT(shoes.y, bottom.y + bottom.height / 2);        // shoes at the feet
  EXPECT_GT((top & bottom).area(), 0);                     // top over the trousers' waist
  EXPECT_EQ(items[3].instances, 2);                        // shoes come as a pair
  // The open coat hides part of the top but not all of it; the coat itself is mostly visible.
  EXPECT_LT(items[0].visible_fraction, 0.9);
  EXPECT_GT(items[0].visible_fraction, 0.05);
  EXPECT_GT(items[2].visible_fraction, 0.8);
}

TEST_F(LookbookComposerTest, TwoOutfitsStandSideBySide) {
  const ComposedLookbook c = compose(two_);
  const cv::Rect left = c.outfits[0].figure_box, right = c.outfits[1].figure_box;
  EXPECT_LT(left.x + left.width / 2, 320);
  EXPECT_GT(right.x + right.width / 2, 320);
}

TEST_F(LookbookComposerTest, ItemsKeepTheirProductsColours) {
  // A lookbook item is cut from its product photo: its visible pixels resemble that product more
  // than the other products (lighting changes are global and mild).
  const ComposedLookbook c = compose(one_);
  const cv::Mat img = cv::imdecode(std::vector<uchar>(c.jpeg.begin(), c.jpeg.end()), cv::IMREAD_COLOR);
  int matched = 0, tried = 0;
  for (std::size_t i = 0; i < one_.outfits[0].items.size(); ++i) {
    const ItemTruth& t = c.outfits[0].items[i];
    if (t.visible_fraction < 0.5 || t.box.area() < 1500) continue;
    cv::Mat mask(img.size(), CV_8UC1, cv::Scalar(0));
    cv::fillPoly(mask, t.polygons, cv::Scalar(255));
    cv::erode(mask, mask, cv::Mat(), cv::Point(-1, -1), 2);
    const cv::Scalar seen = cv::mean(img, mask);
    int best = -1;
    double best_d = 1e18;
    for (int p = 0; p < 12; ++p) {
      const ProductArt& a = art_[static_cast<std::size_t>(p)];
      const cv::Scalar m = cv::mean(a.photo, a.alpha > 200);
      const double d = cv::norm(seen - m);
      if (d < best_d) {
        best_d = d;
        best = p;
      }
    }
    ++tried;
    matched += best == one_.outfits[0].items[i].product;
  }
  ASSERT_GE(tried, 3);
  EXPECT_GE(matched, tried - 1);
}

TEST_F(LookbookComposerTest, DeterministicPerSeed) {
  const ComposedLookbook a = compose(two_), b = compose(two_);
  EXPECT_EQ(a.jpeg, b.jpeg);
  LookbookPlan other = two_;
  other.render_seed = 99;
  EXPECT_NE(compose(other).jpeg, a.jpeg);
}

}  // namespace
}  // namespace ensemble::sample
