#include "sample/lookbook_composer.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

#include "sample/backgrounds.h"
#include "sample/figure.h"

namespace ensemble::sample {

namespace {

// Where an item is worn, in body units (see Body): the anchor point, the box it is fitted into,
// and its layer (higher is drawn later, on top).
struct Placement {
  double x, y, w, h;
  char anchor;  // 't' top-centre, 'b' bottom-centre, 'c' centre
  int z;
};

Placement placement_for(int category) {
  switch (category) {
    case 0:
    case 2:
    case 6: return {0.0, 1.2, 2.7, 2.6, 't', 3};     // tops over the trousers' waist
    case 1: return {0.0, 3.0, 1.9, 4.65, 't', 1};    // trousers from the waist
    case kDressCategory: return {0.0, 1.25, 2.7, 4.9, 't', 2};
    case 4: return {0.0, 1.1, 3.05, 4.4, 't', 5};    // coat over everything but the bag
    case 5:
    case 7:
    case 9: return {0.45, 8.05, 1.25, 1.05, 'b', 0};  // one shoe; the pair is mirrored
    case kBagCategory: return {1.62, 3.35, 1.45, 1.6, 't', 6};  // at the hip, over the hand
    case kWatch: return {-1.36, 3.95, 0.42, 0.6, 'c', 7};
    case kBelt: return {0.0, 3.12, 1.85, 0.42, 'c', 4};
    case kSunglasses: return {0.0, 0.5, 0.86, 0.4, 'c', 8};
    default: return {0.0, 0.43, 1.3, 1.0, 'b', 9};   // hat, down to the brow
  }
}

struct ItemRecord {
  long full_count = 0;  // pixels with alpha >= 0.5, off-image ones included
  // Their bounding box inside the image, inclusive; empty while x1 < x0.
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  cv::Rect box() const { return x1 < x0 ? cv::Rect() : cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1); }
};

// The composite in progress: premultiplied foreground over a background, plus which item (or -1
// for a body, -2 for nothing) is on top at each pixel.
struct Layers {
  cv::Mat fg;      // CV_32FC3, premultiplied
  cv::Mat fga;     // CV_32F
  cv::Mat labels;  // CV_16S

  explicit Layers(cv::Size size)
      : fg(size, CV_32FC3, cv::Scalar::all(0)), fga(size, CV_32F, cv::Scalar(0)),
        labels(size, CV_16S, cv::Scalar(-2)) {}

  // item: CV_8UC3 colour (not premultiplied), alpha CV_32F in [0,1], placed with its top-left at tl.
  void paste(const cv::Mat& item, const cv::Mat& alpha, cv::Point tl, float gain, short label,
             ItemRecord* rec) {
    for (int y = 0; y < item.rows; ++y) {
      const int cy = tl.y + y;
      const auto* ir = item.ptr<cv::Vec3b>(y);
      const float* ar = alpha.ptr<float>(y);
      const bool row_in = cy >= 0 && cy < fg.rows;
      for (int x = 0; x < item.cols; ++x) {
        const float a = ar[x];
        if (a <= 0.0f) continue;
        const int cx = tl.x + x;
        const bool in = row_in && cx >= 0 && cx < fg.cols;
        if (a >= 0.5f && rec != nullptr) {
          ++rec->full_count;
          if (in) {
            rec->x0 = std::min(rec->x0, cx);
            rec->y0 = std::min(rec->y0, cy);
            rec->x1 = std::max(rec->x1, cx);
            rec->y1 = std::max(rec->y1, cy);
          }
        }
        if (!in) continue;
        cv::Vec3f& f = fg.at<cv::Vec3f>(cy, cx);
        float& fa = fga.at<float>(cy, cx);
        for (int c = 0; c < 3; ++c) f[c] = f[c] * (1.0f - a) + ir[x][c] * gain * a;
        fa = a + fa * (1.0f - a);
        if (a >= 0.5f) labels.at<short>(cy, cx) = label;
      }
    }
  }

  // A premultiplied CV_8UC3 layer with CV_8UC1 alpha, both the size of the canvas (the figures).
  void paste_premultiplied(const cv::Mat& layer, const cv::Mat& alpha) {
    for (int y = 0; y < fg.rows; ++y) {
      const auto* lr = layer.ptr<cv::Vec3b>(y);
      const auto* ar = alpha.ptr<uchar>(y);
      auto* f = fg.ptr<cv::Vec3f>(y);
      float* fa = fga.ptr<float>(y);
      short* lab = labels.ptr<short>(y);
      for (int x = 0; x < fg.cols; ++x) {
        if (ar[x] == 0) continue;
        const float a = ar[x] / 255.0f;
        for (int c = 0; c < 3; ++c) f[x][c] = f[x][c] * (1.0f - a) + lr[x][c];
        fa[x] = a + fa[x] * (1.0f - a);
        if (a >= 0.5f) lab[x] = -1;
      }
    }
  }
};

// The item cut out of its product photo: cropped to the alpha's bounding box.
void cut_out(const ProductArt& art, cv::Mat& photo, cv::Mat& alpha) {
  const cv::Rect bb = cv::boundingRect(art.alpha > 10);
  const cv::Rect r = bb.empty() ? cv::Rect(0, 0, art.alpha.cols, art.alpha.rows) : bb;
  photo = art.photo(r);
  alpha = art.alpha(r);
}

cv::Mat resized(const cv::Mat& src, cv::Size size, bool is_alpha) {
  cv::Mat out;
  const bool shrink = size.width < src.cols;
  cv::resize(src, out, size, 0, 0, shrink ? cv::INTER_AREA : (is_alpha ? cv::INTER_LINEAR : cv::INTER_CUBIC));
  return out;
}

// An open coat: a V and a strip cut down the front so the top underneath shows.
void open_front(cv::Mat& alpha) {
  const float w = static_cast<float>(alpha.cols), h = static_cast<float>(alpha.rows);
  for (int y = 0; y < alpha.rows; ++y) {
    const float hw = w * (0.07f + 0.13f * std::max(0.0f, 1.0f - y / (0.3f * h)));
    float* row = alpha.ptr<float>(y);
    for (int x = 0; x < alpha.cols; ++x) {
      const float d = std::abs(x + 0.5f - w / 2) - hw;
      if (d < 1.0f) row[x] *= std::clamp(d, 0.0f, 1.0f);
    }
  }
}

struct Lighting {
  double temperature;  // -1 cool .. +1 warm
  double exposure;
  double gamma;
  double slope;        // strength of the directional falloff
  double angle;
  double noise;
  double blur;
};

void relight(const cv::Mat& f32, const Lighting& L, cv::Mat& out, Rng& rng) {
  const int w = f32.cols, h = f32.rows;
  const double ca = std::cos(L.angle), sa = std::sin(L.angle);
  cv::Mat noise(f32.size(), CV_32FC3);
  cv::RNG cvrng(rng.next());
  cvrng.fill(noise, cv::RNG::NORMAL, 0.0, L.noise);
  cv::Mat lit(f32.size(), CV_8UC3);
  for (int y = 0; y < h; ++y) {
    const auto* src = f32.ptr<cv::Vec3f>(y);
    const auto* nr = noise.ptr<cv::Vec3f>(y);
    auto* dst = lit.ptr<cv::Vec3b>(y);
    for (int x = 0; x < w; ++x) {
      const double t = ((x - w / 2.0) * ca + (y - h / 2.0) * sa) / (0.5 * std::hypot(w, h));
      const float k = static_cast<float>(1.0 + L.slope * t);
      for (int c = 0; c < 3; ++c) dst[x][c] = cv::saturate_cast<uchar>(src[x][c] * k + nr[x][c]);
    }
  }
  // Colour temperature, exposure and tone curve in one table per channel (BGR).
  const double gains[3] = {1.0 - 0.12 * L.temperature, 1.0 + 0.01 * L.temperature,
                           1.0 + 0.1 * L.temperature};
  cv::Mat lut(1, 256, CV_8UC3);
  for (int i = 0; i < 256; ++i) {
    for (int c = 0; c < 3; ++c) {
      const double v = std::clamp(i / 255.0 * gains[c] * L.exposure, 0.0, 1.0);
      lut.at<cv::Vec3b>(0, i)[c] = cv::saturate_cast<uchar>(255.0 * std::pow(v, L.gamma));
    }
  }
  cv::LUT(lit, lut, out);
  if (L.blur > 0.3) cv::GaussianBlur(out, out, cv::Size(0, 0), L.blur);
}

}  // namespace

ComposedLookbook compose_lookbook(const LookbookPlan& plan, const std::vector<ProductSpec>& products,
                                  const ArtLookup& art, cv::Size size) {
  Rng rng(plan.render_seed);
  ComposedLookbook out;
  out.size = size;
  Background bg = render_background(size, rng);
  out.background = bg.kind;

  const int W = size.width, H = size.height;
  const int n_fig = static_cast<int>(plan.outfits.size());
  std::vector<Body> bodies;
  if (n_fig <= 1) {
    Body b;
    b.unit = H * 0.9 / 8.0 * rng.uniform(0.9, 1.0);
    b.cx = W / 2.0 + rng.uniform(-0.05, 0.05) * W;
    b.top = (H - 8.05 * b.unit) * rng.uniform(0.25, 0.75);
    bodies.push_back(b);
  } else {
    const double u = std::min(H * 0.86 / 8.0, W / 8.6) * rng.uniform(0.93, 1.0);
    for (int i = 0; i < n_fig; ++i) {
      Body b;
      b.unit = u * rng.uniform(0.96, 1.04);
      b.cx = W / 2.0 + (i == 0 ? -1 : 1) * 2.05 * u + rng.uniform(-0.1, 0.1) * u;
      b.top = (H - 8.05 * b.unit) * rng.uniform(0.2, 0.8);
      bodies.push_back(b);
    }
  }

  Layers layers(size);
  std::vector<std::vector<ItemRecord>> records(static_cast<std::size_t>(n_fig));
  cv::Mat shadow(size, CV_32F, cv::Scalar(0));
  for (int f = 0; f < n_fig; ++f) {
    const Outfit& outfit = plan.outfits[static_cast<std::size_t>(f)];
    const Body& body = bodies[static_cast<std::size_t>(f)];
    const double u = body.unit;
    auto& recs = records[static_cast<std::size_t>(f)];
    recs.resize(outfit.items.size());
    out.outfits.emplace_back();
    out.outfits.back().items.resize(outfit.items.size());

    cv::Mat fig_layer(size, CV_8UC3, cv::Scalar::all(0)), fig_alpha(size, CV_8UC1, cv::Scalar(0));
    draw_figure(body, rng, fig_layer, fig_alpha);
    layers.paste_premultiplied(fig_layer, fig_alpha);
    cv::ellipse(shadow, body.at(0, 7.95), cv::Size(static_cast<int>(1.1 * u), static_cast<int>(0.2 * u)),
                0, 0, 360, cv::Scalar(1.0), cv::FILLED);

    // Bag on the side that stays in the picture, the watch on the other wrist.
    double bag_side = rng.bernoulli(0.5) ? 1.0 : -1.0;
    if (body.cx + bag_side * 2.4 * u > W || body.cx + bag_side * 2.4 * u < 0) bag_side = -bag_side;

    std::vector<std::size_t> order(outfit.items.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return placement_for(products[static_cast<std::size_t>(outfit.items[a].product)].category).z <
             placement_for(products[static_cast<std::size_t>(outfit.items[b].product)].category).z;
    });
    for (std::size_t i : order) {
      const int pid = outfit.items[i].product;
      const int category = products[static_cast<std::size_t>(pid)].category;
      Placement pl = placement_for(category);
      if (category == kBagCategory) pl.x *= bag_side;
      if (category == kWatch) pl.x = -bag_side * std::abs(pl.x);
      cv::Mat photo, alpha8;
      cut_out(art(pid), photo, alpha8);
      const double jitter = rng.uniform(0.93, 1.07);
      const double scale = std::min(pl.w * u / photo.cols, pl.h * u / photo.rows) * jitter;
      const cv::Size target(std::max(2, static_cast<int>(std::lround(photo.cols * scale))),
                            std::max(2, static_cast<int>(std::lround(photo.rows * scale))));
      cv::Mat item = resized(photo, target, false);
      cv::Mat alpha;
      resized(alpha8, target, true).convertTo(alpha, CV_32F, 1.0 / 255.0);
      cv::pow(alpha, 1.4, alpha);  // tighten the edge so no studio halo shows
      if (category == 4) open_front(alpha);
      const float gain = static_cast<float>(rng.uniform(0.9, 1.06));
      const short label = static_cast<short>(f * 32 + static_cast<int>(i));
      ItemRecord& rec = recs[i];
      const double jx = rng.uniform(-0.06, 0.06) * u, jy = rng.uniform(-0.05, 0.05) * u;
      auto top_left = [&](double ax, double ay) {
        const cv::Point2d a = body.at(ax, ay) + cv::Point2d(jx, jy);
        const double y0 = pl.anchor == 't' ? a.y : pl.anchor == 'b' ? a.y - target.height : a.y - target.height / 2.0;
        return cv::Point(static_cast<int>(std::lround(a.x - target.width / 2.0)), static_cast<int>(std::lround(y0)));
      };
      if (is_shoe(category)) {
        // The product photo shows one shoe from the side: worn as a pair, toes pointing outwards.
        cv::Mat mirrored, mirrored_alpha;
        cv::flip(item, mirrored, 1);
        cv::flip(alpha, mirrored_alpha, 1);
        layers.paste(item, alpha, top_left(-pl.x, pl.y), gain, label, &rec);
        layers.paste(mirrored, mirrored_alpha, top_left(pl.x, pl.y), gain, label, &rec);
        out.outfits.back().items[i].instances = 2;
      } else {
        layers.paste(item, alpha, top_left(pl.x, pl.y), gain, label, &rec);
      }
    }
  }

  // Shadows on the background: a soft offset copy of everything in front, plus contact shadows.
  {
    const double u = bodies.front().unit;
    cv::Mat cast;
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 0.25 * u, 0, 1, 0.1 * u);
    cv::warpAffine(layers.fga, cast, shift, size);
    const cv::Mat contact = shadow * 0.9;
    const cv::Mat cast_soft = cast * rng.uniform(0.3, 0.6);
    cv::max(contact, cast_soft, shadow);
    cv::GaussianBlur(shadow, shadow, cv::Size(0, 0), 0.15 * u);
  }
  const float shadow_strength = static_cast<float>(rng.uniform(0.25, 0.45));
  cv::Mat composite(size, CV_32FC3);
  for (int y = 0; y < H; ++y) {
    const auto* b = bg.image.ptr<cv::Vec3b>(y);
    const auto* f = layers.fg.ptr<cv::Vec3f>(y);
    const float* a = layers.fga.ptr<float>(y);
    const float* s = shadow.ptr<float>(y);
    auto* o = composite.ptr<cv::Vec3f>(y);
    for (int x = 0; x < W; ++x) {
      const float k = (1.0f - a[x]) * (1.0f - shadow_strength * std::min(1.0f, s[x]));
      for (int c = 0; c < 3; ++c) o[x][c] = b[x][c] * k + f[x][c];
    }
  }

  Lighting L;
  L.temperature = rng.uniform(-1.0, 1.0);
  L.exposure = rng.uniform(0.85, 1.12);
  L.gamma = rng.uniform(0.85, 1.18);
  L.slope = rng.uniform(0.0, 0.3);
  L.angle = rng.uniform(0.0, 2 * std::numbers::pi);
  L.noise = rng.uniform(1.0, 4.0);
  L.blur = rng.uniform(0.0, 0.8);
  out.colour_temperature = L.temperature;
  cv::Mat final_image;
  relight(composite, L, final_image, rng);
  out.jpeg_quality = rng.uniform_int(60, 85);
  out.jpeg = encode_jpeg(final_image, out.jpeg_quality);

  // Ground truth from the label map: what is visible of each item.
  const cv::Rect canvas(0, 0, W, H);
  for (int f = 0; f < n_fig; ++f) {
    OutfitTruth& ot = out.outfits[static_cast<std::size_t>(f)];
    const Body& body = bodies[static_cast<std::size_t>(f)];
    const cv::Rect2d e = body.extent();
    cv::Rect fig = cv::Rect(static_cast<int>(e.x), static_cast<int>(e.y), static_cast<int>(e.width),
                            static_cast<int>(e.height)) & canvas;
    for (std::size_t i = 0; i < ot.items.size(); ++i) {
      ItemTruth& it = ot.items[i];
      const ItemRecord& rec = records[static_cast<std::size_t>(f)][i];
      it.full_box = rec.box() & canvas;
      fig |= it.full_box;
      if (it.full_box.empty() || rec.full_count == 0) continue;
      const short label = static_cast<short>(f * 32 + static_cast<int>(i));
      cv::Mat visible = layers.labels(it.full_box) == label;
      const int count = cv::countNonZero(visible);
      it.visible_fraction = static_cast<double>(count) / static_cast<double>(rec.full_count);
      if (count == 0) {
        it.box = it.full_box;
        continue;
      }
      const cv::Rect vb = cv::boundingRect(visible);
      it.box = cv::Rect(vb.x + it.full_box.x, vb.y + it.full_box.y, vb.width, vb.height);
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(visible, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE,
                       it.full_box.tl());
      for (const auto& c : contours) {
        if (cv::contourArea(c) < 12.0) continue;
        std::vector<cv::Point> poly;
        cv::approxPolyDP(c, poly, 1.5, true);
        if (poly.size() >= 3) it.polygons.push_back(std::move(poly));
      }
    }
    ot.figure_box = fig & canvas;
  }
  return out;
}

}  // namespace ensemble::sample
