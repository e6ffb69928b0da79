#include "segment/region_hierarchy.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <queue>
#include <unordered_map>

namespace ensemble::segment {
namespace {

constexpr int kLBins = 6, kABins = 7, kBBins = 7;
constexpr int kHistBins = kLBins * kABins * kBBins;

int hist_bin(const cv::Vec3f& lab) {
  auto q = [](float v, float lo, float hi, int bins) {
    const int b = static_cast<int>((v - lo) / (hi - lo) * bins);
    return std::clamp(b, 0, bins - 1);
  };
  return (q(lab[0], 0, 256, kLBins) * kABins + q(lab[1], 88, 168, kABins)) * kBBins +
         q(lab[2], 88, 168, kBBins);
}

struct Boundary {
  std::int64_t length = 0;
  double contrast = 0;  // sum over the boundary's pixel pairs
};

struct Work {
  std::int64_t area = 0;
  cv::Vec3d lab_sum{0, 0, 0};
  cv::Vec3d tex_sum{0, 0, 0};
  cv::Vec2d prior_sum{0, 0};
  std::vector<float> hist;
  cv::Rect box;
  std::unordered_map<int, Boundary> nbrs;
  bool alive = true;
};

struct Candidate {
  float d;
  int a, b;
  bool operator>(const Candidate& o) const {
    if (d != o.d) return d > o.d;
    if (a != o.a) return a > o.a;
    return b > o.b;
  }
};

}  // namespace

RegionHierarchy::RegionHierarchy(const cv::Mat& labels, int n, const cv::Mat& lab,
                                 const cv::Mat& texture, const HierarchyParams& p,
                                 const cv::Mat& priors)
    : labels_(labels), leaves_(n) {
  assert(labels.type() == CV_32S && lab.type() == CV_32FC3 && texture.type() == CV_32FC3);
  const int w = labels.cols, h = labels.rows;
  const double image_area = static_cast<double>(w) * h;
  std::vector<Work> work(static_cast<std::size_t>(std::max(1, 2 * n - 1)));
  for (int i = 0; i < n; ++i) work[i].hist.assign(kHistBins, 0.f);
  // Boundary contrast at the texture scale: the texture-smoothed colour a few pixels to either side
  // of each boundary pixel pair, so the inside edges of a check or a stripe barely count while an
  // item's outline does.
  const int reach = std::max(1, p.edge_reach);
  auto tex_at = [&](int x, int y) {
    return texture.at<cv::Vec3f>(std::clamp(y, 0, h - 1), std::clamp(x, 0, w - 1));
  };
  for (int y = 0; y < h; ++y) {
    const int* l = labels.ptr<int>(y);
    const int* l_down = y + 1 < h ? labels.ptr<int>(y + 1) : nullptr;
    const auto* c = lab.ptr<cv::Vec3f>(y);
    const auto* t = texture.ptr<cv::Vec3f>(y);
    for (int x = 0; x < w; ++x) {
      Work& r = work[l[x]];
      if (r.area == 0) r.box = cv::Rect(x, y, 1, 1);
      else r.box |= cv::Rect(x, y, 1, 1);
      ++r.area;
      r.lab_sum += cv::Vec3d(c[x][0], c[x][1], c[x][2]);
      r.tex_sum += cv::Vec3d(t[x][0], t[x][1], t[x][2]);
      if (!priors.empty()) {
        const cv::Vec2f pr = priors.at<cv::Vec2f>(y, x);
        r.prior_sum += cv::Vec2d(pr[0], pr[1]);
      }
      r.hist[hist_bin(c[x])] += 1.f;
      auto link = [&](int other, const cv::Vec3f& before, const cv::Vec3f& after) {
        const cv::Vec3f d = before - after;
        const double contrast = std::sqrt(d.dot(d));
        Boundary& b1 = work[l[x]].nbrs[other];
        b1.length += 1;
        b1.contrast += contrast;
        Boundary& b2 = work[other].nbrs[l[x]];
        b2.length += 1;
        b2.contrast += contrast;
      };
      if (x + 1 < w && l[x + 1] != l[x]) link(l[x + 1], tex_at(x - reach + 1, y), tex_at(x + reach, y));
      if (l_down && l_down[x] != l[x]) link(l_down[x], tex_at(x, y - reach + 1), tex_at(x, y + reach));
    }
  }

  nodes_.resize(work.size());
  auto dissimilarity = [&](int a, int b) {
    const Work& A = work[a];
    const Work& B = work[b];
    const cv::Vec3d dt = A.tex_sum / static_cast<double>(A.area) - B.tex_sum / static_cast<double>(B.area);
    const double colour = std::min(1.0, std::sqrt(dt.dot(dt)) / p.colour_scale);
    double inter = 0;
    const double ia = 1.0 / static_cast<double>(A.area), ib = 1.0 / static_cast<double>(B.area);
    for (int k = 0; k < kHistBins; ++k) inter += std::min(A.hist[k] * ia, B.hist[k] * ib);
    const Boundary& bd = A.nbrs.at(b);
    const double edge = std::min(1.0, bd.contrast / static_cast<double>(bd.length) / p.edge_scale);
    const cv::Rect joint = A.box | B.box;
    const double fill = static_cast<double>(joint.area() - A.area - B.area) / static_cast<double>(joint.area());
    const double grow = static_cast<double>(A.area + B.area) / image_area;
    const cv::Vec2d dp = A.prior_sum / static_cast<double>(A.area) - B.prior_sum / static_cast<double>(B.area);
    const double prior = std::max(std::abs(dp[0]), std::abs(dp[1]));
    const double d = p.w_prior * prior + p.w_colour * colour + p.w_hist * (1.0 - inter) + p.w_edge * edge +
                     p.w_fill * std::max(0.0, fill) + p.w_size * grow;
    const double small = static_cast<double>(std::min(A.area, B.area)) / (0.02 * image_area);
    const double size = std::clamp(std::pow(small, static_cast<double>(p.size_power)),
                                   static_cast<double>(p.size_floor), 1.0);
    return static_cast<float>(d * size);
  };

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  for (int a = 0; a < n; ++a) {
    nodes_[a].area = work[a].area;
    nodes_[a].box = work[a].box;
    nodes_[a].mean_lab = cv::Vec3f(work[a].lab_sum / static_cast<double>(std::max<std::int64_t>(1, work[a].area)));
    nodes_[a].mean_prior = cv::Vec2f(work[a].prior_sum / static_cast<double>(std::max<std::int64_t>(1, work[a].area)));
    for (const auto& [b, bd] : work[a].nbrs) {
      nodes_[a].outline_length += static_cast<double>(bd.length);
      nodes_[a].outline_contrast += bd.contrast;
    }
    for (const auto& [b, bd] : work[a].nbrs) {
      if (a < b) queue.push({dissimilarity(a, b), a, b});
    }
  }
  int next = n;
  while (!queue.empty() && next < 2 * n - 1) {
    const Candidate c = queue.top();
    queue.pop();
    if (!work[c.a].alive || !work[c.b].alive) continue;
    Work& A = work[c.a];
    Work& B = work[c.b];
    Work& M = work[next];
    M.area = A.area + B.area;
    M.lab_sum = A.lab_sum + B.lab_sum;
    M.tex_sum = A.tex_sum + B.tex_sum;
    M.prior_sum = A.prior_sum + B.prior_sum;
    M.hist.resize(kHistBins);
    for (int k = 0; k < kHistBins; ++k) M.hist[k] = A.hist[k] + B.hist[k];
    M.box = A.box | B.box;
    {
      const Boundary& shared = A.nbrs.at(c.b);
      const HierarchyNode& na = nodes_[c.a];
      const HierarchyNode& nb = nodes_[c.b];
      HierarchyNode& nm = nodes_[next];
      nm.outline_length = na.outline_length + nb.outline_length - 2.0 * static_cast<double>(shared.length);
      nm.outline_contrast = na.outline_contrast + nb.outline_contrast - 2.0 * shared.contrast;
      nm.inside_length = na.inside_length + nb.inside_length + static_cast<double>(shared.length);
      nm.inside_contrast = na.inside_contrast + nb.inside_contrast + shared.contrast;
    }
    for (Work* src : {&A, &B}) {
      for (const auto& [o, bd] : src->nbrs) {
        if (o == c.a || o == c.b) continue;
        Boundary& mb = M.nbrs[o];
        mb.length += bd.length;
        mb.contrast += bd.contrast;
      }
    }
    A.alive = B.alive = false;
    A.hist = {};
    B.hist = {};
    for (auto& [o, bd] : M.nbrs) {
      Work& O = work[o];
      O.nbrs.erase(c.a);
      O.nbrs.erase(c.b);
      O.nbrs[next] = bd;
    }
    A.nbrs.clear();
    B.nbrs.clear();
    HierarchyNode& node = nodes_[next];
    node.left = c.a;
    node.right = c.b;
    node.height = std::max({c.d, nodes_[c.a].height, nodes_[c.b].height});
    node.area = M.area;
    node.box = M.box;
    node.mean_lab = cv::Vec3f(M.lab_sum / static_cast<double>(M.area));
    node.mean_prior = cv::Vec2f(M.prior_sum / static_cast<double>(M.area));
    nodes_[c.a].parent = nodes_[c.b].parent = next;
    for (const auto& [o, bd] : M.nbrs) queue.push({dissimilarity(next, o), std::min(next, o), std::max(next, o)});
    ++next;
  }
  // Disconnected leftovers (not expected on an image grid): join them at the top.
  std::vector<int> roots;
  for (int i = 0; i < next; ++i) {
    if (nodes_[i].parent < 0) roots.push_back(i);
  }
  while (roots.size() > 1) {
    const int a = roots.back();
    roots.pop_back();
    const int b = roots.back();
    roots.pop_back();
    HierarchyNode& node = nodes_[next];
    node.left = a;
    node.right = b;
    node.height = std::max({1.f, nodes_[a].height, nodes_[b].height});
    node.area = nodes_[a].area + nodes_[b].area;
    node.box = nodes_[a].box | nodes_[b].box;
    node.mean_lab = nodes_[a].mean_lab;
    nodes_[a].parent = nodes_[b].parent = next;
    roots.push_back(next++);
  }
  nodes_.resize(static_cast<std::size_t>(next));
}

cv::Mat RegionHierarchy::mask(int node) const {
  std::vector<uchar> inside(static_cast<std::size_t>(leaves_), 0);
  std::vector<int> stack{node};
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (i < leaves_) {
      inside[i] = 255;
    } else {
      stack.push_back(nodes_[i].left);
      stack.push_back(nodes_[i].right);
    }
  }
  cv::Mat out(labels_.size(), CV_8UC1);
  for (int y = 0; y < labels_.rows; ++y) {
    const int* l = labels_.ptr<int>(y);
    uchar* o = out.ptr<uchar>(y);
    for (int x = 0; x < labels_.cols; ++x) o[x] = inside[l[x]];
  }
  return out;
}

std::vector<float> RegionHierarchy::join_heights(int leaf) const {
  std::vector<char> on_path(nodes_.size(), 0);
  for (int i = leaf; i >= 0; i = nodes_[i].parent) on_path[i] = 1;
  std::vector<float> v(nodes_.size(), 0.f);
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    v[i] = on_path[i] ? nodes_[i].height : v[nodes_[i].parent];
  }
  v.resize(static_cast<std::size_t>(leaves_));
  return v;
}

int RegionHierarchy::region_below(int leaf, float threshold, float floor) const {
  int found = -1;
  for (int i = leaf; i >= 0; i = nodes_[i].parent) {
    if (std::max(floor, nodes_[i].height) >= threshold) break;
    found = i;
  }
  return found;
}

cv::Mat RegionHierarchy::paint(const std::vector<float>& per_leaf) const {
  cv::Mat out(labels_.size(), CV_32F);
  for (int y = 0; y < labels_.rows; ++y) {
    const int* l = labels_.ptr<int>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < labels_.cols; ++x) o[x] = per_leaf[l[x]];
  }
  return out;
}

}  // namespace ensemble::segment
