#!/usr/bin/python3
"""Fits the classic segmenter's region-quality model and writes it as C++ data.

The model predicts, from a hierarchy node's features (classic::node_features), the probability that
the node covers a ground-truth item with IoU >= 0.5 (--hit; --hit 0 predicts the IoU itself). It is
gradient-boosted trees (scikit-learn's HistGradientBoostingClassifier, log loss), fitted on every
node of sample lookbooks of some seeds and checked on another's. Its trees are written to
src/segment/classic_region_model.inc, which classic_scoring.cc evaluates. A refit on the same dumps
writes the same file.

Offline only (nothing in the build or the tests runs it); needs Debian's python3-sklearn. The
shipped model, reproduced (build/ = a build with -DENSEMBLE_BUILD_BENCH=ON):

  apt-get install python3-sklearn
  ensemble sample --out /tmp/sample7 --seed 7 --lookbooks 300
  ensemble sample --out /tmp/sample11 --seed 11 --lookbooks 300
  ensemble sample --out /tmp/sample                                   # seed 42: the check
  build/bench/eval_segment --sample /tmp/sample7 --dump-nodes /tmp/nodes7.csv
  build/bench/eval_segment --sample /tmp/sample11 --dump-nodes /tmp/nodes11.csv
  build/bench/eval_segment --sample /tmp/sample --dump-nodes /tmp/nodes42.csv
  /usr/bin/python3 scripts/fit_region_model.py --train /tmp/nodes7.csv /tmp/nodes11.csv \\
      --check /tmp/nodes42.csv --out src/segment/classic_region_model.inc

Then measure with eval_segment on seeds the model did not see (docs/SEGMENTATION.md).
"""
import argparse
import sys

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

META = ("image", "tree", "node", "score", "iou")
# Fixed so that a refit on the same dump writes the same file.
PARAMS = dict(max_iter=200, max_leaf_nodes=15, learning_rate=0.1, min_samples_leaf=40,
              l2_regularization=1.0, random_state=0)


def lit(x):
    """A C++ float literal of x: nine significant digits, always with a point or an exponent."""
    s = f"{float(np.float32(x)):.9g}"
    return s + ("f" if ("." in s or "e" in s) else ".f")


def load(path):
    d = np.genfromtxt(path, delimiter=",", names=True)
    features = [n for n in d.dtype.names if n not in META]
    return d, np.stack([d[n] for n in features], 1).astype(np.float32), features


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, nargs="+", help="eval_segment --dump-nodes CSVs to fit on")
    ap.add_argument("--check", help="a dump of another seed: the new model against the one it was dumped with")
    ap.add_argument("--out", required=True, help="the .inc file to write")
    ap.add_argument("--hit", type=float, default=0.5,
                    help="fit P(IoU >= HIT) (log loss); 0 fits the IoU itself (squared error)")
    ap.add_argument("--trees", type=int, default=PARAMS["max_iter"])
    ap.add_argument("--leaves", type=int, default=PARAMS["max_leaf_nodes"])
    a = ap.parse_args()
    PARAMS.update(max_iter=a.trees, max_leaf_nodes=a.leaves)

    parts = [load(p) for p in a.train]
    features = parts[0][2]
    if any(p[2] != features for p in parts):
        sys.exit("the training dumps have different feature columns")
    X = np.concatenate([p[1] for p in parts])
    y = np.concatenate([p[0]["iou"] for p in parts])
    lookbooks = sum(int(p[0]["image"].max()) + 1 for p in parts)
    if a.hit > 0:
        model = HistGradientBoostingClassifier(**PARAMS).fit(X, y >= a.hit)
        predict = lambda Z: model.decision_function(Z)
    else:
        model = HistGradientBoostingRegressor(**PARAMS).fit(X, y)
        predict = model.predict
    print(f"fitted on {len(X)} nodes of {lookbooks} lookbooks")

    trees = [p[0].nodes for p in model._predictors]
    base = float(np.ravel(model._baseline_prediction)[0])

    # The C++ walk, here, must give scikit-learn's predictions (the thresholds are float32 there).
    def walk(x):
        total = base
        for nodes in trees:
            i = 0
            while not nodes[i]["is_leaf"]:
                f = nodes[i]["feature_idx"]
                i = nodes[i]["left"] if x[f] <= np.float32(nodes[i]["num_threshold"]) else nodes[i]["right"]
            total += float(np.float32(nodes[i]["value"]))
        return total

    sample = X[:: max(1, len(X) // 500)]
    worst = max(abs(walk(x) - p) for x, p in zip(sample, predict(sample)))
    if worst > 1e-4:
        sys.exit(f"exported trees disagree with scikit-learn by {worst}")

    if a.check:
        check, Xc, fc = load(a.check)
        if fc != features:
            sys.exit("the two dumps have different feature columns")
        hit = check["iou"] >= (a.hit if a.hit > 0 else 0.5)
        print(f"check {a.check}: ROC AUC for IoU >= 0.5: new {roc_auc_score(hit, predict(Xc)):.4f}, "
              f"the dump's {roc_auc_score(hit, check['score']):.4f}")
        print(f"check {a.check}: Spearman with IoU: "
              f"new {spearmanr(predict(Xc), check['iou']).correlation:.3f}, "
              f"the dump's (the model it was made with) {spearmanr(check['score'], check['iou']).correlation:.3f}")

    with open(a.out, "w") as out:
        out.write("// Generated by scripts/fit_region_model.py: do not edit. The classic segmenter's region-quality\n")
        kind = f"HistGradientBoostingClassifier for IoU >= {a.hit}" if a.hit > 0 else "HistGradientBoostingRegressor of the IoU"
        out.write(f"// model: {len(trees)} trees over classic::node_features\n// ({', '.join(features)}),\n")
        out.write(f"// scikit-learn {kind}, {PARAMS},\n// fitted on {len(X)} nodes of {lookbooks} lookbooks.\n")
        out.write(f"inline constexpr int kRegionModelFeatures = {len(features)};\n")
        out.write(f"inline constexpr float kRegionModelBase = {lit(base)};\n")
        out.write(f"// Whether the trees sum to log-odds (P(IoU >= {a.hit})) rather than to the IoU.\n")
        out.write(f"inline constexpr bool kRegionModelLogOdds = {'true' if a.hit > 0 else 'false'};\n")
        out.write("// Per tree node: feature (-1 for a leaf), threshold (go left when feature <= threshold), left, right\n")
        out.write("// (indices within the tree), value (leaf prediction, shrinkage included).\n")
        out.write(f"inline constexpr int kRegionModelTreeStart[] = {{")
        start = 0
        starts = []
        for nodes in trees:
            starts.append(start)
            start += len(nodes)
        starts.append(start)
        out.write(", ".join(map(str, starts)) + "};\n")
        out.write("inline constexpr RegionModelNode kRegionModelNodes[] = {\n")
        for nodes in trees:
            for n in nodes:
                if n["is_leaf"]:
                    out.write(f"    {{-1, 0.f, 0, 0, {lit(n['value'])}}},\n")
                else:
                    out.write(f"    {{{int(n['feature_idx'])}, {lit(n['num_threshold'])}, "
                              f"{int(n['left'])}, {int(n['right'])}, 0.f}},\n")
        out.write("};\n")
    print(f"wrote {a.out}: {len(trees)} trees, {start} nodes")


if __name__ == "__main__":
    main()
