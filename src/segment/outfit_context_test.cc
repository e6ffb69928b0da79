#include "ensemble/segment/outfit_context.h"

#include <gtest/gtest.h>

namespace ensemble::segment {
namespace {

cv::Mat rect_mask(cv::Rect r, cv::Size s = {400, 200}) {
  cv::Mat m = cv::Mat::zeros(s, CV_8UC1);
  m(r).setTo(255);
  return m;
}

TEST(OutfitContext, TwoFiguresSideBySideEvenWhenBagsMeetInTheMiddle) {
  // Left figure around x = 100: top, trousers, shoes, and a bag held towards the middle (x 160..210).
  // Right figure around x = 300: dress, and its bag also towards the middle (x 190..240), overlapping
  // the other bag's columns — a column-gap rule would merge the two outfits.
  std::vector<cv::Mat> masks{rect_mask({60, 20, 80, 60}),  rect_mask({70, 80, 60, 90}),
                             rect_mask({70, 175, 60, 20}), rect_mask({160, 90, 50, 40}),
                             rect_mask({250, 20, 100, 150}), rect_mask({190, 100, 50, 40})};
  const ContextAssignment a = assign_outfit_contexts(masks);
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.context, (std::vector<int>{0, 0, 0, 0, 1, 1}));
}

TEST(OutfitContext, OneFigureWithABagOutToTheSideIsOneContext) {
  std::vector<cv::Mat> masks{rect_mask({160, 20, 80, 60}), rect_mask({170, 80, 60, 90}),
                             rect_mask({170, 175, 60, 20}), rect_mask({320, 90, 50, 40}),
                             rect_mask({140, 100, 15, 20})};
  const ContextAssignment a = assign_outfit_contexts(masks);
  EXPECT_EQ(a.count, 1);
  EXPECT_EQ(a.context, (std::vector<int>(5, 0)));
  EXPECT_EQ(assign_outfit_contexts({}).count, 0);
}

TEST(OutfitContext, WideMasksDoNotVoteAndJoinTheNearestAxis) {
  std::vector<cv::Mat> masks{rect_mask({40, 10, 80, 80}), rect_mask({280, 10, 80, 80}),
                             rect_mask({0, 120, 260, 40})};  // wide, centred left of the middle
  const ContextAssignment a = assign_outfit_contexts(masks);
  EXPECT_EQ(a.count, 2);
  EXPECT_EQ(a.context, (std::vector<int>{0, 1, 0}));
}

TEST(OutfitContext, OptionsLimitTheSplits) {
  std::vector<cv::Mat> masks{rect_mask({10, 0, 40, 100}), rect_mask({150, 0, 40, 100}),
                             rect_mask({300, 0, 40, 100})};
  EXPECT_EQ(assign_outfit_contexts(masks).count, 3);
  ContextOptions two;
  two.max_contexts = 2;
  EXPECT_EQ(assign_outfit_contexts(masks, two).count, 2);
  ContextOptions one;
  one.max_contexts = 1;
  EXPECT_EQ(assign_outfit_contexts(masks, one).context, (std::vector<int>{0, 0, 0}));
  ContextOptions far;
  far.min_separation = 0.9;
  EXPECT_EQ(assign_outfit_contexts(masks, far).count, 1);
}

}  // namespace
}  // namespace ensemble::segment
