// The browser tests' fixtures: a small database built with the real CLI, `ensemble serve` on a free
// port, and headless Debian Chromium driven by playwright-core. Nothing here knows the pages.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

// How much longer than in a Release build the test may wait (6 in sanitizer builds; CMake sets it).
export function timeoutScale() {
  const s = Number(process.env.ENSEMBLE_TIMEOUT_SCALE || '1');
  return Number.isFinite(s) && s >= 1 ? s : 1;
}

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

// Settings from the environment (CTest sets them; defaults suit a run by hand after a build).
export const config = {
  bin: process.env.ENSEMBLE_BIN || path.join(repoRoot, 'build/tools/ensemble'),
  web: process.env.ENSEMBLE_WEB_ROOT || path.join(repoRoot, 'web'),
  artifacts: process.env.ENSEMBLE_BROWSER_ARTIFACTS || path.join(repoRoot, 'build/test-artifacts/browser'),
  chromium: process.env.ENSEMBLE_CHROMIUM || '/usr/bin/chromium',
  keep: process.env.ENSEMBLE_BROWSER_KEEP === '1',  // keep the temporary folder for a look
};

export function log(...args) {
  process.stderr.write(`[browser] ${args.join(' ')}\n`);
}

async function cli(args, opts = {}) {
  try {
    return await run(config.bin, ['-q', ...args], { maxBuffer: 64 << 20, ...opts });
  } catch (e) {
    throw new Error(`ensemble ${args.join(' ')} failed (exit ${e.code}):\n${e.stderr || e.message}`);
  }
}

export const HOSTILE = {
  id: 'p999999',
  title: '<img src=x onerror=window.__xss=1> Hostile <b>boots</b>',
  style: '<script>window.__xss=2</script>',
};

// A trimmed small sample (150 products, 6 lookbooks, 2 of them with two people: every flow has data,
// and `run` takes a few CPU-seconds) through the real CLI: sample, catalog import, lookbooks import, run.
export async function buildDatabase(dir) {
  const sample = path.join(dir, 'sample');
  const db = path.join(dir, 'ui.db');
  const t0 = Date.now();
  await cli(['sample', '--small', '--products', '150', '--lookbooks', '6', '--out', sample]);
  // One product whose text is markup: the pages must show it as text (ui.test.mjs checks).
  fs.appendFileSync(path.join(sample, 'catalog.csv'),
    `${HOSTILE.id},${HOSTILE.title},ankle boots,products/p000002.jpg,women,black,solid,50.00,${HOSTILE.style}\n`);
  await cli(['--db', db, 'catalog', 'import', path.join(sample, 'catalog.csv')]);
  await cli(['--db', db, 'lookbooks', 'import', path.join(sample, 'lookbooks')]);
  await cli(['--db', db, 'run']);
  log(`database built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { db, sample };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// `ensemble serve` on a free port; resolves once /healthz answers. Its output goes to server.log.
export async function startServer(db, logFile, extraArgs = []) {
  const port = await freePort();
  const out = fs.openSync(logFile, 'w');
  const child = spawn(config.bin, ['--db', db, 'serve', '--host', '127.0.0.1', '--port', String(port), '--web', config.web,
                                   ...extraArgs],
                      { stdio: ['ignore', out, out] });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const base = `http://127.0.0.1:${port}`;
  // Sanitizer builds start 5-10x slower: tests/CMakeLists.txt passes ENSEMBLE_TIMEOUT_SCALE.
  const startSeconds = 30 * timeoutScale();
  const deadline = Date.now() + startSeconds * 1000;
  for (;;) {
    if (exited) {
      throw new Error(`ensemble serve exited (${JSON.stringify(exited)}):\n${fs.readFileSync(logFile, 'utf8')}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ensemble serve did not answer /healthz within ${startSeconds} s:\n${fs.readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    async stop() {
      if (exited) return exited;
      const done = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await done;
      clearTimeout(timer);
      fs.closeSync(out);
      return result;
    },
  };
}

// Headless Chromium as the sandboxed machine needs it: root needs --no-sandbox; the network is
// closed, so no background connections; a fresh profile every time.
export async function launchBrowser(profileDir) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: config.chromium,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export async function getJson(base, p, init) {
  const r = await fetch(`${base}${p}`, init);
  const body = await r.json();
  if (!r.ok) throw new Error(`${p}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
