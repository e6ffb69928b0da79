// eval_recommend: the recommendation figures of issue 5 on the built-in sample's ground truth,
// the reference design next to ours and the targets (docs/RECOMMEND.md, "Measurements").
//
//   eval_recommend --sample DIR [--db DB] [--variants] [--threads N] [--set key=value]...
//                  [--noise 0.05] [--junk 15] [--parts 0.5] [--merge-rate 0.2] [--seed 7]
//                  [--json FILE] [--keep DIR] [--no-reference]
//
// --sample DIR  a sample made by `ensemble sample` (catalog.csv + ground_truth.json).
// --db DB       evaluate a database the real pipeline produced from that sample (segment, embed and
//               match done): it is copied to a temporary folder and cooccur/recommend run there.
//               Without --db the matches are *simulated* from the ground truth so the recommender
//               is measured apart from segmentation and matching quality (see below).
// --variants    also measure each association score and ablations (no neighbours, no attribute
//               backoff, no shrinkage, no mutual check) on the same evidence.
// --set k=v     config overrides for "ours" (as `ensemble --set`).
//
// Simulated evidence (no --db): every product gets a synthetic visual vector (one-hot category,
// colour and pattern blocks plus a per-product random part, so look-alikes exist: same category,
// colour and pattern); every ground-truth item becomes a region whose vector is its product's plus
// Gaussian noise (--noise per dimension); with probability --parts an item also yields a second,
// noisier "part" region inside its box; --junk background/skin regions per lookbook have random
// vectors. Contexts are the outfits, except that --merge-rate of two-outfit images come out as one
// context (a segmenter that failed to split the people). Matches are exact top-10 products per
// region and top match.regions_per_product regions per product, as the match stage writes them.
//
// Metrics: precision@k (k = min(5, true partners)) and recall@10 over products that shared an
// outfit with something; hijack rate = share of top-10 slots taken by the hub accessories;
// coverage = share of the catalog with >= 1 recommendation; fill-in-the-blank on held-out outfits
// (each item hidden in turn, ranked among it and 3 random products of its slot by the summed
// compatibility with the rest; ties split); false-pair rate = pairs drawn from a two-outfit image
// whose products were worn by different people, over pairs of that image's true items; speed =
// the cooccur + recommend batch calls the stages run (including their database writes).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ensemble/config/config.h"
#include "ensemble/index/vector_index.h"
#include "ensemble/recommend/batch.h"
#include "ensemble/store/store.h"
#include "ensemble/util/error.h"
#include "ensemble/util/parallel.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace ensemble;
using namespace ensemble::recommend;

namespace {

struct Args {
  fs::path sample, db, json_out, keep;
  bool variants = false;
  bool no_reference = false;
  int threads = 2;
  std::vector<std::string> overrides;
  double noise = 0.05, parts = 0.5, merge_rate = 0.2;
  int junk = 15;
  std::uint64_t seed = 7;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "eval_recommend: %s\nusage: eval_recommend --sample DIR [--db DB] [--variants]"
               " [--threads N] [--set k=v]... [--noise X] [--junk N] [--parts P] [--merge-rate P]"
               " [--seed S] [--json FILE] [--keep DIR]\n", why.c_str());
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(k + " needs a value");
      return argv[++i];
    };
    if (k == "--sample") a.sample = val();
    else if (k == "--db") a.db = val();
    else if (k == "--json") a.json_out = val();
    else if (k == "--keep") a.keep = val();
    else if (k == "--variants") a.variants = true;
    else if (k == "--no-reference") a.no_reference = true;
    else if (k == "--threads") a.threads = std::stoi(val());
    else if (k == "--set") a.overrides.push_back(val());
    else if (k == "--noise") a.noise = std::stod(val());
    else if (k == "--junk") a.junk = std::stoi(val());
    else if (k == "--parts") a.parts = std::stod(val());
    else if (k == "--merge-rate") a.merge_rate = std::stod(val());
    else if (k == "--seed") a.seed = std::stoull(val());
    else usage("unknown option " + k);
  }
  if (a.sample.empty()) usage("--sample is required");
  return a;
}

// ---- ground truth ----------------------------------------------------------------------------

struct GtItem {
  std::string product, slot;
  int outfit = 0;
  int x = 0, y = 0, w = 0, h = 0;
};
struct GtLookbook {
  std::string id;
  int width = 0, height = 0, outfits = 0;
  std::vector<GtItem> items;
};
struct Truth {
  std::vector<GtLookbook> lookbooks;
  std::map<std::string, std::set<std::string>> partners;
  std::set<std::string> hubs;
  std::vector<std::vector<std::pair<std::string, std::string>>> held_out;  // (product, slot)
};

Truth load_truth(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::kNotFound, "no ground truth at " + file.string());
  const json g = json::parse(in);
  Truth t;
  for (const auto& h : g["style_model"]["hubs"]) t.hubs.insert(h["product_id"].get<std::string>());
  for (const auto& lb : g["lookbooks"]) {
    GtLookbook l;
    l.id = lb["id"];
    l.width = lb["width"];
    l.height = lb["height"];
    int oi = 0;
    for (const auto& o : lb["outfits"]) {
      std::vector<std::string> ids;
      for (const auto& it : o["items"]) {
        GtItem item;
        item.product = it["product_id"];
        item.slot = it["slot"];
        item.outfit = oi;
        const auto& b = it["box"];
        item.x = b[0];
        item.y = b[1];
        item.w = b[2];
        item.h = b[3];
        l.items.push_back(item);
        ids.push_back(item.product);
      }
      for (const auto& a : ids) {
        for (const auto& b : ids) {
          if (a != b) t.partners[a].insert(b);
        }
      }
      ++oi;
    }
    l.outfits = oi;
    t.lookbooks.push_back(std::move(l));
  }
  for (const auto& o : g["held_out_outfits"]) {
    std::vector<std::pair<std::string, std::string>> items;
    for (const auto& it : o["items"]) items.emplace_back(it["product_id"], it["slot"]);
    t.held_out.push_back(std::move(items));
  }
  return t;
}

// ---- catalog.csv (RFC 4180) -------------------------------------------------------------------

std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "no catalog at " + file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else if (c != '\r') {
      field += c;
    }
  }
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// ---- simulated evidence ----------------------------------------------------------------------

struct SimReport {
  double item_top1 = 0;  // share of item regions whose rank-1 product is the true one
  std::int64_t regions = 0;
};

SimReport simulate(store::Store& store, const fs::path& sample, const Truth& truth, const Args& a,
                   int p2r_k) {
  auto& db = store.db();
  const auto rows = read_csv(sample / "catalog.csv");
  if (rows.empty()) throw Error(ErrorCode::kBadInput, "empty catalog");
  const auto& header = rows[0];
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw Error(ErrorCode::kBadInput, "catalog lacks column " + name);
    return static_cast<size_t>(it - header.begin());
  };
  const size_t c_id = col("id"), c_title = col("title"), c_cat = col("category"), c_img = col("image");
  const std::int64_t run = store.begin_run("simulate", "", "{}");
  const std::string now = store::utc_now();
  std::map<std::string, int> cat_ix, colour_ix, pattern_ix;
  struct P { std::string id, category, colour, pattern; };
  std::vector<P> products;
  {
    store::Transaction tx(db);
    auto ins = db.prepare(
        "INSERT INTO products (id, title, category, image_sha, image_ext, width, height, attributes,"
        " run_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    for (size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      if (row.size() != header.size()) continue;
      json attrs = json::object();
      for (size_t c = 0; c < header.size(); ++c) {
        if (c != c_id && c != c_title && c != c_cat && c != c_img) attrs[header[c]] = row[c];
      }
      ins.bind(1, row[c_id]).bind(2, row[c_title]).bind(3, row[c_cat]).bind(4, "0")
          .bind(5, ".jpg").bind(6, 160).bind(7, 160).bind(8, attrs.dump()).bind(9, run)
          .bind(10, now).bind(11, now);
      ins.run();
      P p{row[c_id], row[c_cat], attrs.value("colour", ""), attrs.value("pattern", "")};
      cat_ix.try_emplace(p.category, static_cast<int>(cat_ix.size()));
      colour_ix.try_emplace(p.colour, static_cast<int>(colour_ix.size()));
      pattern_ix.try_emplace(p.pattern, static_cast<int>(pattern_ix.size()));
      products.push_back(std::move(p));
    }
    tx.commit();
  }
  // Synthetic visual vectors.
  const int kRandom = 48;
  const int dim = static_cast<int>(cat_ix.size() + colour_ix.size() + pattern_ix.size()) + kRandom;
  std::vector<float> pv(products.size() * static_cast<size_t>(dim), 0.0f);
  std::map<std::string, std::int64_t> pindex;
  auto normalise = [dim](float* v) {
    double n = 0;
    for (int d = 0; d < dim; ++d) n += static_cast<double>(v[d]) * v[d];
    const auto inv = static_cast<float>(1.0 / std::sqrt(std::max(n, 1e-12)));
    for (int d = 0; d < dim; ++d) v[d] *= inv;
  };
  {
    std::mt19937_64 rng(a.seed);
    std::normal_distribution<double> g(0.0, 1.0);
    for (size_t i = 0; i < products.size(); ++i) {
      float* v = pv.data() + i * static_cast<size_t>(dim);
      int off = 0;
      v[off + cat_ix[products[i].category]] = 1.0f;
      off += static_cast<int>(cat_ix.size());
      v[off + colour_ix[products[i].colour]] = 0.8f;
      off += static_cast<int>(colour_ix.size());
      v[off + pattern_ix[products[i].pattern]] = 0.5f;
      off += static_cast<int>(pattern_ix.size());
      for (int d = 0; d < kRandom; ++d) v[off + d] = static_cast<float>(0.55 * g(rng) / std::sqrt(kRandom));
      normalise(v);
      pindex[products[i].id] = static_cast<std::int64_t>(i);
    }
    store::Transaction tx(db);
    auto ins = db.prepare(
        "INSERT INTO embeddings (owner_kind, owner_id, model_id, dim, vector, source_sha, run_id)"
        " VALUES ('product', ?, 'simulated#v1', ?, ?, '0', ?)");
    for (size_t i = 0; i < products.size(); ++i) {
      ins.bind(1, products[i].id).bind(2, dim)
          .bind_blob(3, pv.data() + i * static_cast<size_t>(dim), static_cast<size_t>(dim) * sizeof(float))
          .bind(4, run);
      ins.run();
    }
    tx.commit();
  }
  // Regions.
  struct R {
    std::string lookbook;
    int context, x, y, w, h;
    std::int64_t truth;  // product index or -1
    bool item;
  };
  std::vector<R> regions;
  std::vector<float> rv;
  std::mt19937_64 rng(a.seed * 7919 + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto add_region = [&](R r, const float* base, double sigma) {
    std::vector<float> v(static_cast<size_t>(dim));
    for (int d = 0; d < dim; ++d) {
      v[static_cast<size_t>(d)] = (base ? base[d] : 0.0f) + static_cast<float>(sigma * g(rng));
    }
    normalise(v.data());
    rv.insert(rv.end(), v.begin(), v.end());
    regions.push_back(r);
  };
  for (const auto& lb : truth.lookbooks) {
    const bool merged = lb.outfits > 1 && u(rng) < a.merge_rate;
    for (const auto& it : lb.items) {
      const auto pit = pindex.find(it.product);
      if (pit == pindex.end()) continue;
      const float* base = pv.data() + static_cast<size_t>(pit->second) * static_cast<size_t>(dim);
      const int ctx = merged ? 0 : it.outfit;
      add_region({lb.id, ctx, it.x, it.y, it.w, it.h, pit->second, true}, base, a.noise);
      if (u(rng) < a.parts) {
        add_region({lb.id, ctx, it.x, it.y, it.w, std::max(1, it.h / 2), pit->second, false}, base,
                   a.noise * 1.5);
      }
    }
    for (int j = 0; j < a.junk; ++j) {
      const int w = 20 + static_cast<int>(u(rng) * lb.width / 3);
      const int h = 20 + static_cast<int>(u(rng) * lb.height / 3);
      const int x = static_cast<int>(u(rng) * (lb.width - w));
      const int y = static_cast<int>(u(rng) * (lb.height - h));
      const int ctx = merged ? 0 : static_cast<int>(u(rng) * lb.outfits);
      add_region({lb.id, ctx, x, y, w, h, -1, false}, nullptr, 1.0);
    }
  }
  // Matches: top-10 products per region, top-k regions per product.
  const int k_rp = 10;
  auto pidx = index::make_index("exact", dim);
  pidx->set_threads(a.threads);
  std::vector<index::Id> pids(products.size());
  for (size_t i = 0; i < pids.size(); ++i) pids[i] = static_cast<index::Id>(i);
  pidx->add(pids, pv);
  const auto r2p = pidx->search(rv, k_rp);
  auto ridx = index::make_index("exact", dim);
  ridx->set_threads(a.threads);
  std::vector<index::Id> rids(regions.size());
  for (size_t i = 0; i < rids.size(); ++i) rids[i] = static_cast<index::Id>(i);
  ridx->add(rids, rv);
  const auto p2r = ridx->search(pv, std::max(1, p2r_k));
  SimReport rep;
  rep.regions = static_cast<std::int64_t>(regions.size());
  std::int64_t items = 0, top1 = 0;
  {
    store::Transaction tx(db);
    auto ins_lb = db.prepare(
        "INSERT OR IGNORE INTO lookbooks (id, source, image_sha, image_ext, width, height, run_id,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)");
    for (const auto& lb : truth.lookbooks) {
      ins_lb.bind(1, lb.id).bind(2, "simulated").bind(3, "0").bind(4, ".jpg").bind(5, lb.width)
          .bind(6, lb.height).bind(7, run).bind(8, now).bind(9, now);
      ins_lb.run();
    }
    auto ins_r = db.prepare(
        "INSERT INTO regions (id, lookbook_id, idx, context_id, x, y, w, h, area, confidence,"
        " stability, mask_rle, segmenter_id, run_id) VALUES (?,?,?,?,?,?,?,?,?,0.9,0.9,?,'simulated',?)");
    const std::uint32_t blob[2] = {0, 0};
    std::map<std::string, int> idx;
    for (size_t i = 0; i < regions.size(); ++i) {
      const auto& r = regions[i];
      ins_r.bind(1, static_cast<std::int64_t>(i + 1)).bind(2, r.lookbook).bind(3, idx[r.lookbook]++)
          .bind(4, r.context).bind(5, r.x).bind(6, r.y).bind(7, r.w).bind(8, r.h)
          .bind(9, static_cast<std::int64_t>(r.w) * r.h).bind_blob(10, blob, sizeof blob).bind(11, run);
      ins_r.run();
    }
    auto ins_m = db.prepare(
        "INSERT INTO matches (direction, region_id, product_id, rank, score, run_id)"
        " VALUES (?,?,?,?,?,?)");
    for (size_t i = 0; i < regions.size(); ++i) {
      for (int j = 0; j < r2p.count(static_cast<std::int64_t>(i)); ++j) {
        const auto p = r2p.id(static_cast<std::int64_t>(i), j);
        ins_m.bind(1, "region_to_product").bind(2, static_cast<std::int64_t>(i + 1))
            .bind(3, products[static_cast<size_t>(p)].id).bind(4, j + 1)
            .bind(5, static_cast<double>(r2p.score(static_cast<std::int64_t>(i), j))).bind(6, run);
        ins_m.run();
      }
      if (regions[i].item) {
        ++items;
        top1 += r2p.id(static_cast<std::int64_t>(i), 0) == regions[i].truth;
      }
    }
    for (size_t p = 0; p < products.size(); ++p) {
      for (int j = 0; j < p2r.count(static_cast<std::int64_t>(p)); ++j) {
        ins_m.bind(1, "product_to_region")
            .bind(2, static_cast<std::int64_t>(p2r.id(static_cast<std::int64_t>(p), j) + 1))
            .bind(3, products[p].id).bind(4, j + 1)
            .bind(5, static_cast<double>(p2r.score(static_cast<std::int64_t>(p), j))).bind(6, run);
        ins_m.run();
      }
    }
    tx.commit();
  }
  store::RunOutcome o;
  store.finish_run(run, o);
  rep.item_top1 = items ? static_cast<double>(top1) / items : 0;
  return rep;
}

// ---- metrics ---------------------------------------------------------------------------------

struct Metrics {
  std::string name;
  double precision = 0, recall = 0, hijack = 0, coverage = 0, fitb = 0, false_pairs = 0;
  double cooccur_s = 0, recommend_s = 0;
  std::int64_t pairs = 0, evaluated = 0, fitb_n = 0, false_n = 0;
  json cooccur_stats, recommend_stats;
};

Metrics measure(store::Store& store, const config::Config& cfg, const Truth& truth,
                const std::string& name, const Args& a) {
  Metrics m;
  m.name = name;
  auto& db = store.db();
  const std::int64_t run_co = store.begin_run("cooccur", cfg.hash(), cfg.to_json().dump());
  auto t0 = std::chrono::steady_clock::now();
  const auto co = run_cooccur(db, cfg, run_co);
  m.cooccur_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  store.finish_run(run_co, store::RunOutcome{});
  const std::int64_t run_re = store.begin_run("recommend", cfg.hash(), cfg.to_json().dump());
  t0 = std::chrono::steady_clock::now();
  const auto re = run_recommend(db, cfg, run_re, a.threads);
  m.recommend_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  store.finish_run(run_re, store::RunOutcome{});
  m.cooccur_stats = co.stats;
  m.recommend_stats = re.stats;
  m.coverage = re.stats.value("coverage", 0.0);

  const auto loaded = load_recommender(db, cfg, a.threads);
  const Catalog& cat = *loaded->catalog;
  const Recommender& rec = *loaded->model;
  m.pairs = static_cast<std::int64_t>(loaded->pairs.pairs.size());

  std::vector<std::vector<Recommendation>> lists(static_cast<size_t>(cat.size()));
  ensemble::parallel_for(static_cast<std::int64_t>(cat.size()), a.threads, [&](std::int64_t i) {
    lists[static_cast<size_t>(i)] = rec.recommend(static_cast<std::int32_t>(i), 10);
  });
  std::int64_t slots = 0, hub_slots = 0;
  for (const auto& l : lists) {
    for (const auto& r : l) {
      ++slots;
      hub_slots += truth.hubs.count(cat[r.product].id) > 0;
    }
  }
  m.hijack = slots ? static_cast<double>(hub_slots) / slots : 0;
  double psum = 0, rsum = 0;
  for (const auto& [pid, partners] : truth.partners) {
    const std::int32_t p = cat.find(pid);
    if (p < 0) continue;
    const auto& l = lists[static_cast<size_t>(p)];
    const int k = static_cast<int>(std::min<size_t>(5, partners.size()));
    int hit_k = 0, hit_10 = 0;
    for (size_t i = 0; i < l.size(); ++i) {
      const bool hit = partners.count(cat[l[i].product].id) > 0;
      if (static_cast<int>(i) < k) hit_k += hit;
      hit_10 += hit;
    }
    psum += static_cast<double>(hit_k) / k;
    rsum += static_cast<double>(hit_10) / static_cast<double>(partners.size());
    ++m.evaluated;
  }
  m.precision = m.evaluated ? psum / m.evaluated : 0;
  m.recall = m.evaluated ? rsum / m.evaluated : 0;

  // Fill in the blank.
  std::map<std::string, std::vector<std::int32_t>> by_slot;
  for (std::int32_t i = 0; i < cat.size(); ++i) by_slot[cat[i].slot].push_back(i);
  double fsum = 0;
  for (size_t o = 0; o < truth.held_out.size(); ++o) {
    const auto& items = truth.held_out[o];
    std::vector<std::int32_t> ids;
    for (const auto& [pid, slot] : items) ids.push_back(cat.find(pid));
    for (size_t h = 0; h < items.size(); ++h) {
      if (ids[h] < 0) continue;
      std::mt19937_64 rng(a.seed * 1000003 + o * 101 + h);
      const auto& pool = by_slot[cat[ids[h]].slot];
      std::vector<std::int32_t> cands = {ids[h]};
      for (int guard = 0; cands.size() < 4 && guard < 1000; ++guard) {
        const auto c = pool[static_cast<size_t>(rng() % pool.size())];
        if (std::find(cands.begin(), cands.end(), c) == cands.end() &&
            std::find(ids.begin(), ids.end(), c) == ids.end()) {
          cands.push_back(c);
        }
      }
      std::vector<double> score(cands.size(), 0);
      for (size_t c = 0; c < cands.size(); ++c) {
        for (size_t j = 0; j < ids.size(); ++j) {
          if (j != h && ids[j] >= 0) score[c] += rec.compat(ids[j], cands[c]);
        }
      }
      const double best = *std::max_element(score.begin(), score.end());
      const auto tied = std::count(score.begin(), score.end(), best);
      if (score[0] == best) fsum += 1.0 / static_cast<double>(tied);
      ++m.fitb_n;
    }
  }
  m.fitb = m.fitb_n ? fsum / static_cast<double>(m.fitb_n) : 0;

  // False pairs on two-outfit images.
  std::map<std::string, std::map<std::string, int>> outfit_of;  // lookbook -> product -> outfit
  for (const auto& lb : truth.lookbooks) {
    if (lb.outfits < 2) continue;
    for (const auto& it : lb.items) outfit_of[lb.id][it.product] = it.outfit;
  }
  std::int64_t wrong = 0;
  for (const auto& p : loaded->pairs.pairs) {
    for (const auto lbi : loaded->pairs.lookbooks_of(p)) {
      const auto lit = outfit_of.find(loaded->pairs.lookbook_ids[static_cast<size_t>(lbi)]);
      if (lit == outfit_of.end()) continue;
      const auto ia = lit->second.find(cat[p.a].id), ib = lit->second.find(cat[p.b].id);
      if (ia == lit->second.end() || ib == lit->second.end()) continue;
      ++m.false_n;
      wrong += ia->second != ib->second;
    }
  }
  m.false_pairs = m.false_n ? static_cast<double>(wrong) / m.false_n : 0;
  return m;
}

std::string pct(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * x);
  return b;
}
std::string num(double x, const char* f = "%.3f") {
  char b[32];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

json to_json(const Metrics& m) {
  return {{"name", m.name}, {"precision_at_k", m.precision}, {"recall_at_10", m.recall},
          {"hijack_rate", m.hijack}, {"coverage", m.coverage}, {"fill_in_the_blank", m.fitb},
          {"false_pair_rate", m.false_pairs}, {"cooccur_seconds", m.cooccur_s},
          {"recommend_seconds", m.recommend_s}, {"pairs", m.pairs}, {"evaluated_products", m.evaluated},
          {"fitb_questions", m.fitb_n}, {"two_outfit_pairs", m.false_n},
          {"cooccur_stats", m.cooccur_stats}, {"recommend_stats", m.recommend_stats}};
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    const Truth truth = load_truth(args.sample / "ground_truth.json");
    const fs::path work = args.keep.empty()
                              ? fs::temp_directory_path() / ("eval-recommend-" + std::to_string(::getpid()))
                              : args.keep;
    fs::remove_all(work);
    fs::create_directories(work);
    const fs::path dbp = work / "eval.db";
    config::Config ours;
    for (const auto& o : args.overrides) ours.set_override(o);
    json report = {{"sample", args.sample.string()}};
    if (!args.db.empty()) {
      fs::copy_file(args.db, dbp);
      for (const char* ext : {"-wal", "-shm"}) {
        if (fs::exists(args.db.string() + ext)) fs::copy_file(args.db.string() + ext, dbp.string() + ext);
      }
      report["evidence"] = "pipeline database " + args.db.string();
    }
    auto store = store::Store::open(dbp);
    if (args.db.empty()) {
      const auto t0 = std::chrono::steady_clock::now();
      const SimReport sim = simulate(*store, args.sample, truth, args,
                                     static_cast<int>(ours.get_int("match.regions_per_product")));
      report["evidence"] = "simulated";
      report["simulation"] = {{"noise", args.noise}, {"junk_per_lookbook", args.junk},
                              {"parts", args.parts}, {"merge_rate", args.merge_rate},
                              {"regions", sim.regions}, {"item_region_top1_accuracy", sim.item_top1},
                              {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
      std::printf("simulated evidence: %lld regions, item regions matched to their product at rank 1: %s\n",
                  static_cast<long long>(sim.regions), pct(sim.item_top1).c_str());
    }
    {
      auto st = store->db().prepare("SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM lookbooks),"
                                    " (SELECT count(*) FROM regions), (SELECT count(*) FROM matches)");
      st.step();
      std::printf("store: %lld products, %lld lookbooks, %lld regions, %lld matches\n",
                  static_cast<long long>(st.column_int(0)), static_cast<long long>(st.column_int(1)),
                  static_cast<long long>(st.column_int(2)), static_cast<long long>(st.column_int(3)));
    }
    config::Config ref = ours;
    ref.set("cooccur.scoring", std::string("reference"));
    const Metrics mr = args.no_reference ? Metrics{} : measure(*store, ref, truth, "reference", args);
    const Metrics mo = measure(*store, ours, truth, "ours", args);
    std::printf("\n%-34s %12s %12s %12s\n", "metric", "reference", "ours", "target");
    auto row = [](const char* n, const std::string& r, const std::string& o, const char* t) {
      std::printf("%-34s %12s %12s %12s\n", n, r.c_str(), o.c_str(), t);
    };
    row("precision@k (k=min(5,partners))", num(mr.precision), num(mo.precision), ">= 0.800");
    row("recall@10", num(mr.recall), num(mo.recall), "-");
    row("hijack rate (hubs in top-10)", pct(mr.hijack), pct(mo.hijack), "<= 10%");
    row("catalog coverage", pct(mr.coverage), pct(mo.coverage), ">= 95%");
    row("fill-in-the-blank (4-way)", pct(mr.fitb), pct(mo.fitb), ">= 70%");
    row("false-pair rate (two-outfit)", pct(mr.false_pairs), pct(mo.false_pairs), "< reference");
    row("cooccur + recommend seconds", num(mr.cooccur_s + mr.recommend_s, "%.2f"),
        num(mo.cooccur_s + mo.recommend_s, "%.2f"), "<= 30");
    row("pairs stored", std::to_string(mr.pairs), std::to_string(mo.pairs), "-");
    std::printf("(%lld products with true partners, %lld fill-in-the-blank questions, %lld/%lld pairs"
                " from two-outfit images judged; threads %d)\n",
                static_cast<long long>(mo.evaluated), static_cast<long long>(mo.fitb_n),
                static_cast<long long>(mr.false_n), static_cast<long long>(mo.false_n), args.threads);
    report["reference"] = to_json(mr);
    report["ours"] = to_json(mo);
    if (args.variants) {
      std::printf("\n%-28s %9s %9s %9s %9s %9s %9s\n", "variant of ours", "prec@k", "recall10",
                  "hijack", "coverage", "FITB", "falsepair");
      json vj = json::array();
      std::vector<std::pair<std::string, std::vector<std::string>>> variants = {
          {"association=cosine", {"cooccur.association=cosine"}},
          {"association=npmi", {"cooccur.association=npmi"}},
          {"association=obs_exp", {"cooccur.association=obs_exp"}},
          {"association=lift", {"cooccur.association=lift"}},
          {"association=count", {"cooccur.association=count"}},
          {"no shrinkage", {"cooccur.shrinkage=0"}},
          {"mutual check 0.3", {"cooccur.mutual_factor=0.3"}},
          {"no region gate", {"cooccur.region_gate=false"}},
          {"slot rounds on", {"recommend.slot_rounds=true"}},
          {"no neighbours", {"recommend.neighbours=0"}},
          {"no attribute backoff", {"recommend.attribute_weight=0"}},
          {"neither", {"recommend.neighbours=0", "recommend.attribute_weight=0"}},
      };
      for (const auto& [vname, sets] : variants) {
        config::Config c = ours;
        for (const auto& s : sets) c.set_override(s);
        const Metrics m = measure(*store, c, truth, vname, args);
        std::printf("%-28s %9s %9s %9s %9s %9s %9s\n", vname.c_str(), num(m.precision).c_str(),
                    num(m.recall).c_str(), pct(m.hijack).c_str(), pct(m.coverage).c_str(),
                    pct(m.fitb).c_str(), pct(m.false_pairs).c_str());
        vj.push_back(to_json(m));
      }
      report["variants"] = vj;
    }
    if (!args.json_out.empty()) {
      std::ofstream(args.json_out) << report.dump(2) << "\n";
    }
    store.reset();
    if (args.keep.empty()) fs::remove_all(work);
  } catch (const Error& e) {
    std::fprintf(stderr, "eval_recommend: %s\n", e.what());
    return exit_code_for(e.code());
  }
  return 0;
}
