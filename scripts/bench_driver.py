#!/usr/bin/env python3
"""The end-to-end benchmark behind scripts/bench.sh (docs/BENCHMARKS.md).

Generates the sample at the chosen scale, imports it, runs each pipeline stage as its own process
(wall time, user+sys CPU time and peak RSS from the kernel's accounting of that child), measures
the baselines in the same run, the incremental runs, the vector-search scaling (eval_index_scale)
and, when the server exists, POST /api/search under wrk. Prints one table and writes JSON;
--compare OLD.json adds the ratio to an earlier run. Standard library only.
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# products / lookbooks imported first, then the increments; scaling sizes for eval_index_scale.
SCALES = {
    "small": dict(products=2000, lookbooks=20, inc_products=100, inc_lookbooks=2,
                  sizes="10000", specs="hnsw:M=32,efC=200,ef=64;hnsw:M=16,efC=200,ef=10",
                  faiss_hnsw_max=10000, queries=300),
    "reference": dict(products=44000, lookbooks=100, inc_products=1000, inc_lookbooks=10,
                      sizes="10000,70000,100000", specs="hnsw:M=32,efC=100,ef=64;hnsw:M=16,efC=200,ef=10",
                      faiss_hnsw_max=10000, queries=500),
    # 440,000 products (beyond Fashion-MNIST's 70,000 garments the sample makes colourways, docs/SAMPLE.md)
    # and 1,000 lookbooks through the whole pipeline; 1M on the vector stages (synthetic vectors).
    "10x": dict(products=439000, lookbooks=1000, inc_products=1000, inc_lookbooks=10,
                sizes="10000,100000,440000,1000000", specs="hnsw:M=32,efC=100,ef=64",
                faiss_hnsw_max=10000, queries=500),
}

TARGETS = {  # issue #8 / #4, reference scale
    "pipeline": "≤ 120 s, RSS ≤ 2 GB (reference)",
    "match": "≤ 10 s",
    "cooccur+recommend": "≤ 30 s",
    "incremental +lookbooks": "≤ 10% of full run",
    "incremental +products": "≤ 10% of full run",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def timed(cmd, env=None, cwd=None):
    """Runs cmd; returns (wall s, user+sys CPU s, peak RSS MB, stdout text) of that child. Raises on failure."""
    log("  $ " + " ".join(str(c) for c in cmd)[:200])
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode(errors="replace")
        etext = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} {cmd[1:5]} failed ({proc.returncode}):\n{etext[-2000:]}\n{text[-2000:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, text


class Bench:
    def __init__(self, args):
        self.args = args
        self.root = Path(__file__).resolve().parent.parent
        self.build = Path(args.build)
        if not self.build.is_absolute():
            self.build = self.root / self.build
        self.bin = self.build / "tools" / "ensemble"
        self.work = Path(args.work) if args.work else self.build / "bench-work" / args.scale
        self.scale = dict(SCALES[args.scale])
        if args.lookbooks:
            self.scale["lookbooks"] = args.lookbooks
        if args.sizes:
            self.scale["sizes"] = args.sizes
        self.rows = []
        self.extra = {}

    def row(self, stage, items, wall, cpu, rss, baseline=None, baseline_name="", target="", note=""):
        r = dict(stage=stage, items=items, wall_s=round(wall, 3),
                 items_per_s=round(items / wall, 1) if wall > 0 and items else None,
                 cpu_s=round(cpu, 2) if cpu is not None else None,
                 cpu_util=round(cpu / wall, 2) if wall > 0 and cpu is not None else None,
                 peak_rss_mb=round(rss) if rss is not None else None,
                 baseline=baseline_name, ratio=round(baseline, 2) if baseline else None,
                 target=target, note=note)
        self.rows.append(r)
        log(f"  -> {stage}: {wall:.1f} s" + (f", ratio {baseline:.2f} ({baseline_name})" if baseline else ""))
        return r

    def ens(self, db, *a):
        return [self.bin, "--db", db, "--quiet", *a]

    # ------------------------------------------------------------------ data
    def generate(self):
        s = self.scale
        sample = self.work / "sample"
        marker = sample / "ground_truth.json"
        want = f"{s['products'] + s['inc_products']}/{s['lookbooks'] + s['inc_lookbooks']}"
        stamp = self.work / "sample.params"
        if marker.exists() and stamp.exists() and stamp.read_text() == want and not self.args.fresh:
            log(f"reusing {sample} ({want} products/lookbooks)")
            self.extra["sample_reused"] = True
        else:
            shutil.rmtree(sample, ignore_errors=True)
            self.work.mkdir(parents=True, exist_ok=True)
            wall, cpu, rss, _ = timed([self.bin, "sample", "--out", sample,
                                       "--products", s["products"] + s["inc_products"],
                                       "--lookbooks", s["lookbooks"] + s["inc_lookbooks"]])
            stamp.write_text(want)
            self.row("sample (generate)", s["products"] + s["inc_products"] + s["lookbooks"] + s["inc_lookbooks"],
                     wall, cpu, rss)
        # Split into the first batch and the increments.
        lines = (sample / "catalog.csv").read_text().splitlines(keepends=True)
        header, body = lines[0], lines[1:]
        # Quoted fields never span lines in the sample's catalog (one product per line).
        n0 = min(s["products"], len(body) - s["inc_products"])
        (self.work / "catalog-base.csv").write_text(header + "".join(body[:n0]))
        (self.work / "catalog-inc.csv").write_text(header + "".join(body[n0:n0 + s["inc_products"]]))
        lbs = sorted((sample / "lookbooks").glob("*.jpg"))
        self.lookbooks_base = lbs[:s["lookbooks"]]
        self.lookbooks_inc = lbs[s["lookbooks"]:s["lookbooks"] + s["inc_lookbooks"]]
        self.n_products = n0

    # ------------------------------------------------------------------ pipeline
    def run_stage(self, db, stage, label=None, sets=(), env=None):
        extra = []
        for kv in sets:
            extra += ["--set", kv]
        wall, cpu, rss, out = timed([self.bin, "--db", db, "--quiet", *extra, "run", "--stage", stage, "--json"],
                                    env=env)
        rep = json.loads(out)
        st = rep["stages"][0] if rep.get("stages") else {}
        items = st.get("input_rows", 0) or 0
        if st.get("status") not in (None, "ok", "partial"):
            raise RuntimeError(f"stage {stage}: {st.get('status')} {st.get('error')}")
        return wall, cpu, rss, items, st

    def pipeline(self):
        db = self.work / "ens.db"
        if not self.args.keep_db:
            for p in self.work.glob("ens.*"):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
        self.db = db
        wall, cpu, rss, _ = timed(self.ens(db, "catalog", "import", self.work / "catalog-base.csv",
                                          "--images-root", self.work / "sample"))
        self.row("import catalog", self.n_products, wall, cpu, rss)
        wall, cpu, rss, _ = timed(self.ens(db, "lookbooks", "import", *self.lookbooks_base))
        self.row("import lookbooks", len(self.lookbooks_base), wall, cpu, rss)
        total_wall = total_cpu = 0.0
        peak = 0.0
        stage_wall = {}
        baselines = "baseline" not in set(self.args.skip.split(","))
        for stage in ("segment", "embed", "index", "match", "cooccur", "recommend"):
            if stage == "match" and baselines:
                self.snapshot(db, "prematch")
            wall, cpu, rss, items, st = self.run_stage(db, stage)
            stage_wall[stage] = wall
            total_wall += wall
            total_cpu += cpu
            peak = max(peak, rss)
            note = ""
            stats = st.get("stats", {}) or {}
            if stage == "match":
                note = f"kernel {stats.get('kernel_seconds', 0):.1f} s, {stats.get('mode', '')}, {stats.get('gemm', '')}"
                self.match_wall = wall
            if stage == "index":
                note = f"{stats.get('action', '')}, {stats.get('size', 0)} products"
            if stage == "embed" and "fitted_projection" in stats:
                note = f"incl. projection fit on {stats['fitted_projection'].get('samples')} products"
            self.row(stage, items, wall, cpu, rss, target=TARGETS.get(stage, ""), note=note)
        self.full_wall = total_wall
        self.stage_wall = stage_wall
        self.row("pipeline (segment..recommend)", self.n_products + len(self.lookbooks_base), total_wall, total_cpu, peak,
                 target=TARGETS["pipeline"])
        if baselines:
            self.gemm_baseline()
            self.reference_cooccur()

    def snapshot(self, db, name):
        """Copies the database (and its index folder) as NAME.db, sharing the media folder."""
        for p in self.work.glob(f"{name}.*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink()
        dst = self.work / f"{name}.db"
        shutil.copy(db, dst)
        for suffix in ("-wal", "-shm"):
            src = Path(str(db) + suffix)
            if src.exists():
                shutil.copy(src, str(dst) + suffix)
        index = Path(str(db)[:-3] + ".index")
        if index.is_dir():
            shutil.copytree(index, self.work / f"{name}.index")
        (self.work / f"{name}.media").symlink_to((self.work / "ens.media").resolve())
        return dst

    def gemm_baseline(self):
        """The match stage again, from the same state, with the matrix products on OpenBLAS as before."""
        env = dict(os.environ, ENSEMBLE_BLAS="openblas")
        wall, cpu, rss, items, st = self.run_stage(self.work / "prematch.db", "match", env=env)
        stats = st.get("stats", {}) or {}
        self.row("match, OpenBLAS gemm", items, self.match_wall, None, None, baseline=wall / self.match_wall,
                 baseline_name="OpenBLAS / BLIS", target=TARGETS["match"],
                 note=f"OpenBLAS: {wall:.1f} s (kernel {stats.get('kernel_seconds', 0):.1f} s, {stats.get('gemm', '')})")

    def reference_cooccur(self):
        """cooccur + recommend again on a copy of the database with the reference co-occurrence method."""
        ref = self.snapshot(self.db, "ref")
        ours = self.stage_wall["cooccur"] + self.stage_wall["recommend"]
        w1, c1, r1, items, _ = self.run_stage(ref, "cooccur", sets=["cooccur.scoring=reference"])
        w2, c2, r2, _, _ = self.run_stage(ref, "recommend", sets=["cooccur.scoring=reference"])
        self.row("cooccur+recommend", items, ours, None, None, baseline=(w1 + w2) / ours,
                 baseline_name="reference method / ours", target=TARGETS["cooccur+recommend"],
                 note=f"reference method: {w1 + w2:.1f} s")

    def incremental(self):
        for what, label in (("lookbooks", "incremental +lookbooks"), ("products", "incremental +products")):
            if what == "lookbooks":
                if not self.lookbooks_inc:
                    continue
                w0, c0, r0, _ = timed(self.ens(self.db, "lookbooks", "import", *self.lookbooks_inc))
                n = len(self.lookbooks_inc)
            else:
                w0, c0, r0, _ = timed(self.ens(self.db, "catalog", "import", self.work / "catalog-inc.csv",
                                            "--images-root", self.work / "sample"))
                n = self.scale["inc_products"]
            wall, cpu, rss, out = timed(self.ens(self.db, "run", "--json"))
            per = {s["stage"]: round(s.get("seconds", 0), 2) for s in json.loads(out).get("stages", [])}
            self.row(label, n, wall, cpu, rss, baseline=wall / self.full_wall, baseline_name="of the full run",
                     target=TARGETS[label], note=f"import {w0:.1f} s; " + ", ".join(f"{k} {v}" for k, v in per.items()))

    # ------------------------------------------------------------------ vector search scaling
    def scaling(self):
        exe = self.build / "bench" / "eval_index_scale"
        if not exe.exists():
            log(f"skipping the search scaling: {exe} not built (ENSEMBLE_BUILD_BENCH=ON)")
            return
        s = self.scale
        js = self.work / "index_scale.json"
        wall, cpu, rss, out = timed([exe, "--db", self.db, "--sizes", s["sizes"], "--specs", s["specs"],
                                     "--faiss-hnsw-max", s["faiss_hnsw_max"], "--queries", s["queries"],
                                     "--threads", self.args.threads, "--json", js])
        print(out)
        self.extra["index_scale"] = json.loads(js.read_text())
        self.extra["index_scale_text"] = out
        self.row("search scaling (eval_index_scale)", 0, wall, cpu, rss, note=f"sizes {s['sizes']}")

    def retrieval(self):
        exe = self.build / "bench" / "eval_embed"
        if not exe.exists():
            return
        n = min(self.n_products + self.scale["inc_products"], 70000)
        wall, cpu, rss, out = timed([exe, "--tasks", "catalog", "--catalog", self.work / "sample",
                                     "--retrieval-n", 1000, "--threads", self.args.threads])
        m = re.search(r"catalog_recall1=([\d.]+) catalog_recall10=([\d.]+) gallery=(\d+)", out)
        if m:
            self.extra["retrieval"] = dict(recall1=float(m[1]), recall10=float(m[2]), gallery=int(m[3]))
            self.row("exact-product retrieval (real sample)", int(m[3]), wall, cpu, rss,
                     target="R@1 ≥ 0.90, R@10 ≥ 0.98", note=f"R@1 {float(m[1]):.3f}, R@10 {float(m[2]):.3f}")
        # One image query on one core: decode + embed (this) + search (eval_index_scale's 1-thread p50).
        wall, cpu, rss, out = timed([exe, "--tasks", "speed", "--threads", 1, "--speed-n", 1000])
        # The query as search makes it (the photo and its turned views, combined) when eval_embed
        # prints it; the single-photo figure otherwise.
        m = re.search(r"one query .*?: p50 ([\d.]+) ms", out) or re.search(r"([\d.]+) ms/product", out)
        if m:
            self.extra["embed_ms_1core"] = float(m[1])

    def serving(self):
        """POST /api/search (a product photo, multipart) under wrk: 20 connections, 2 threads, 20 s."""
        help_text = subprocess.run([str(self.bin), "--help"], capture_output=True, text=True).stdout
        if not re.search(r"^\s+serve\b", help_text, re.M):
            self.extra["serving"] = "skipped: `ensemble serve` is not in this build"
        elif not shutil.which("wrk"):
            self.extra["serving"] = "skipped: wrk is not installed (apt install wrk)"
        if "serving" in self.extra:
            log(self.extra["serving"])
            return
        import urllib.request
        port = self.args.port
        srv = subprocess.Popen([str(self.bin), "--db", str(self.db), "--quiet", "serve", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(240):
                try:
                    h = json.loads(urllib.request.urlopen(base + "/healthz", timeout=2).read())
                    if h.get("search") == "ready":
                        break
                except Exception:
                    pass
                if srv.poll() is not None:
                    raise RuntimeError("ensemble serve exited early")
                time.sleep(0.5)
            img = sorted((self.work / "sample" / "products").glob("*.jpg"))[7]
            boundary = "ensemblebenchboundary"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\n"
                    f"Content-Type: image/jpeg\r\n\r\n").encode() + img.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
            req = urllib.request.Request(base + "/api/search", data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            n = len(json.loads(urllib.request.urlopen(req, timeout=30).read()).get("results", []))
            if n == 0:
                raise RuntimeError("POST /api/search returned no results")
            (self.work / "search-body.bin").write_bytes(body)
            search = self.wrk("search", base + "/api/search",
                              'wrk.method = "POST"\n'
                              f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={boundary}"\n'
                              f'local f = io.open("{self.work / "search-body.bin"}", "rb")\n'
                              'wrk.body = f:read("*a")\nf:close()\n',
                              "serve POST /api/search (wrk -c 20)", "p50 ≤ 30 ms, p99 ≤ 100 ms")
            # Recommendation reads: GET /api/products/ID/recommendations for random catalog products.
            ids = [line.split(",", 1)[0] for line in
                   (self.work / "catalog-base.csv").read_text().splitlines()[1:2001]]
            recs_script = ("local ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n"
                           "request = function()\n"
                           '  return wrk.format("GET", "/api/products/" .. ids[math.random(#ids)] ..'
                           ' "/recommendations?k=10")\nend\n')
            recs = self.wrk("recommendations", base + "/api/products", recs_script,
                            "serve GET /api/products/ID/recommendations (wrk -c 20)", "p99 ≤ 10 ms")
            # The same reads from 4 clients: latency without 20 requests queueing for 2 cores.
            recs4 = self.wrk("recommendations", base + "/api/products", recs_script,
                             "serve GET /api/products/ID/recommendations (wrk -c 4)", "p99 ≤ 10 ms", connections=4)
            self.extra["serving"] = dict(search=search, recommendations=recs, recommendations_c4=recs4)
        finally:
            srv.terminate()
            try:
                srv.wait(timeout=30)
            except subprocess.TimeoutExpired:
                srv.kill()

    def wrk(self, name, url, script, label, target, connections=20):
        """CONNECTIONS for 20 s under wrk with SCRIPT (Lua) + a done() that prints p50/p99/errors; one row."""
        lua = self.work / f"{name}.lua"
        lua.write_text(script +
                       'done = function(summary, latency, requests)\n'
                       '  io.write(string.format("P50 %.3f\\nP99 %.3f\\nERR %d\\n", latency:percentile(50) / 1000,'
                       ' latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect'
                       ' + summary.errors.timeout))\n'
                       'end\n')
        wall, cpu, rss, out = timed(["wrk", "-t", "2", "-c", str(connections), "-d", "20s", "--timeout", "5s", "-s",
                                     lua, url])
        p50 = float(re.search(r"P50 ([\d.]+)", out)[1])
        p99 = float(re.search(r"P99 ([\d.]+)", out)[1])
        errors = int(re.search(r"ERR (\d+)", out)[1])
        reqs = int(re.search(r"(\d+) requests in", out)[1])
        self.row(label, reqs, wall, None, None, target=target,
                 note=f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {reqs / wall:.0f} req/s, {errors} errors")
        return dict(p50_ms=p50, p99_ms=p99, rps=reqs / wall, errors=errors)

    def micro(self):
        for b in sorted((self.build / "bench").glob("bench_*")):
            log(f"== {b.name}")
            out = self.work / f"{b.name}.json"
            subprocess.run([str(b), "--benchmark_min_time=0.2", f"--benchmark_out={out}",
                            "--benchmark_out_format=json"], check=True)

    # ------------------------------------------------------------------ report
    def report(self):
        load = os.getloadavg()
        meta = dict(scale=self.args.scale, scale_params=self.scale, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    host=platform.node(), cpus=os.cpu_count(), load_avg=[round(x, 2) for x in load],
                    git=subprocess.run(["git", "-C", str(self.root), "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True).stdout.strip())
        old = None
        if self.args.compare:
            old = {r["stage"]: r for r in json.loads(Path(self.args.compare).read_text())["rows"]}
        cols = ["stage", "items", "wall s", "items/s", "CPU s", "CPU util", "peak RSS MB", "ratio to baseline", "target", "note"]
        if old:
            cols.insert(8, "wall vs OLD")
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows:
            cells = [r["stage"], f"{r['items']:,}" if r["items"] else "",
                     f"{r['wall_s']:.1f}", f"{r['items_per_s']:,.0f}" if r["items_per_s"] else "",
                     f"{r['cpu_s']:.1f}" if r.get("cpu_s") is not None else "",
                     f"{r['cpu_util']:.2f}" if r["cpu_util"] is not None else "",
                     f"{r['peak_rss_mb']:,}" if r["peak_rss_mb"] is not None else "",
                     f"{r['ratio']:.2f} ({r['baseline']})" if r["ratio"] else "", r["target"], r["note"]]
            if old:
                o = old.get(r["stage"])
                cells.insert(8, f"{r['wall_s'] / o['wall_s']:.2f}×" if o and o["wall_s"] else "")
            lines.append("| " + " | ".join(cells) + " |")
        table = "\n".join(lines)
        print(f"\n## ensemble bench --scale {self.args.scale}: {self.scale['products']:,} products, "
              f"{self.scale['lookbooks']:,} lookbooks, {os.cpu_count()} cores, load average {load[0]:.1f} at the end\n")
        print(table)
        if "retrieval" in self.extra:
            r = self.extra["retrieval"]
            print(f"\nexact-product retrieval on the real sample ({r['gallery']:,} products): "
                  f"Recall@1 {r['recall1']:.3f} (target 0.90), Recall@10 {r['recall10']:.3f} (target 0.98)")
        if "embed_ms_1core" in self.extra:
            p50s = [x for x in self.extra.get("index_scale", []) if x["section"] == "search"
                    and x["method"].startswith("hnsw") and x["size"] >= 70000]
            if p50s:
                best = p50s[0]
                print(f"one image query on one core: decode+embed with its views {self.extra['embed_ms_1core']:.2f} ms + "
                      f"{best['method']} search p50 {best['p50_ms']:.3f} ms at {best['size']:,} products "
                      f"= {self.extra['embed_ms_1core'] + best['p50_ms']:.1f} ms (target p50 ≤ 20 ms)")
        if isinstance(self.extra.get("serving"), str):
            print("\nserving: " + self.extra["serving"])
        out = Path(self.args.json) if self.args.json else self.work / f"bench-{self.args.scale}.json"
        out.write_text(json.dumps(dict(meta=meta, rows=self.rows, extra={k: v for k, v in self.extra.items()
                                                                         if k != "index_scale_text"}), indent=1))
        print(f"\nJSON: {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=SCALES, default="reference")
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--work", help="working folder (default BUILD/bench-work/SCALE)")
    ap.add_argument("--json", help="write the results here (default WORK/bench-SCALE.json)")
    ap.add_argument("--compare", help="an earlier JSON result: adds a column with the ratio of wall times")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lookbooks", type=int, help="override the scale's lookbook count (scaling curves)")
    ap.add_argument("--sizes", help="override the scale's catalog sizes for eval_index_scale")
    ap.add_argument("--fresh", action="store_true", help="regenerate the sample even if present")
    ap.add_argument("--keep-db", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: baseline (the reference co-occurrence method),incremental,scaling,retrieval,serving")
    ap.add_argument("--micro", action="store_true", help="also run the Google Benchmark binaries (bench_*)")
    ap.add_argument("--port", type=int, default=18431)
    ap.add_argument("--only", help="run only these parts (serving,scaling,retrieval) on the existing work folder's database")
    args = ap.parse_args()
    b = Bench(args)
    if not b.bin.exists():
        sys.exit(f"bench: {b.bin} not found: build first (make build, or BUILD=dir)")
    skip = set(args.skip.split(","))
    b.work.mkdir(parents=True, exist_ok=True)
    if args.only:
        b.db = b.work / "ens.db"
        b.n_products = b.scale["products"]
        only = set(args.only.split(","))
        for part in ("retrieval", "scaling", "serving"):
            if part in only:
                getattr(b, part)()
        b.report()
        return
    b.generate()
    b.pipeline()
    if "incremental" not in skip:
        b.incremental()
    if "retrieval" not in skip:
        b.retrieval()
    if "scaling" not in skip:
        b.scaling()
    if "serving" not in skip:
        b.serving()
    if args.micro:
        b.micro()
    b.report()


if __name__ == "__main__":
    main()
