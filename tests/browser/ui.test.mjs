// The web UI in a real browser (issue #7): headless Debian Chromium, driven by playwright-core,
// against `ensemble serve` on a database built from the small sample with the real CLI.
// Screenshots of every page go to $ENSEMBLE_BROWSER_ARTIFACTS (build/test-artifacts/browser).
// Run: tests/browser/run.sh (ctest -L browser), or `node --test ui.test.mjs` here after a build.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { config, log, buildDatabase, startServer, launchBrowser, getJson, tempDir, HOSTILE, timeoutScale } from './harness.mjs';

const TIMEOUT = 20_000;

describe('web UI', { timeout: 540_000 * timeoutScale() }, () => {
  let work, data, server, context, page, base;
  const pageErrors = [];

  before(async () => {
    fs.mkdirSync(config.artifacts, { recursive: true });
    work = tempDir('ensemble-browser-');
    data = await buildDatabase(work);
    server = await startServer(data.db, path.join(config.artifacts, 'server.log'));
    base = server.base;
    context = await launchBrowser(path.join(work, 'profile'));
    context.setDefaultTimeout(TIMEOUT);
    page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  });

  after(async () => {
    if (context) await context.close();
    if (server) {
      const exit = await server.stop();
      log(`server stopped: ${JSON.stringify(exit)}`);
    }
    if (work && !config.keep) fs.rmSync(work, { recursive: true, force: true });
    else if (work) log(`kept ${work}`);
  });

  // Full-page screenshots: scroll once through the page so lazy images load, wait for them (5 s at
  // most), and shoot from the top, where the sticky header belongs.
  const shot = async (name) => {
    await page.evaluate(async () => {
      const pause = (ms) => new Promise((r) => setTimeout(r, ms));
      for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight) {
        window.scrollTo(0, y);
        await pause(30);
      }
      window.scrollTo(0, 0);
      const pending = [...document.images].filter((i) => !i.complete)
        .map((i) => new Promise((r) => { i.addEventListener('load', r); i.addEventListener('error', r); }));
      await Promise.race([Promise.all(pending), pause(5000)]);
    });
    await page.screenshot({ path: path.join(config.artifacts, `${name}.png`), fullPage: true });
  };

  // Lazy images (loading="lazy") load only near the viewport: bring each into view, then wait until
  // every one matching the selector has loaded (or failed).
  const imagesLoaded = async (selector) => {
    for (const img of await page.locator(selector).all()) await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].every((i) => i.complete), selector);
  };

  // A test whose failure leaves a screenshot of the page as it was (FAILED-<name>.png).
  const check = (name, fn) => test(name, async () => {
    try {
      await fn();
    } catch (e) {
      if (page) await shot(`FAILED-${name.split(':')[0].replace(/\W+/g, '-')}`).catch(() => {});
      throw e;
    }
  });

  // A product seen in the lookbooks, with recommendations from its own pairs and an outfit.
  async function productWithEvidence() {
    const { lookbooks } = await getJson(base, '/api/lookbooks?limit=200');
    const tried = new Set();
    for (const lb of lookbooks) {
      const detail = await getJson(base, `/api/lookbooks/${encodeURIComponent(lb.id)}`);
      for (const region of detail.regions) {
        const id = region.matches && region.matches[0] && region.matches[0].product;
        if (!id || tried.has(id)) continue;
        tried.add(id);
        const recs = await getJson(base, `/api/products/${id}/recommendations?k=24`);
        const own = recs.recommendations.filter((r) => r.source === 'pairs');
        if (own.length < 2) continue;
        const outfit = await getJson(base, `/api/products/${id}/outfit`);
        if (outfit.outfit.length >= 2) return { id, recs: recs.recommendations };
      }
    }
    throw new Error(`no product with two own pairs and an outfit among ${tried.size} matched products`);
  }

  check('search: upload a photo and see scored results, then open a product', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('footer.status .ok, footer.status .warn');
    const photo = path.join(data.sample, 'products', 'p000000.jpg');
    await page.setInputFiles('#photo', photo);
    await page.waitForSelector('#result-grid .product-card');
    const cards = page.locator('#result-grid .product-card');
    assert.ok(await cards.count() >= 5, 'a grid of results');
    // The catalog's own photo finds itself first, with a cosine of 1.
    assert.equal(await cards.first().getAttribute('data-product'), 'p000000');
    const score = Number(await cards.first().locator('.score-value').textContent());
    assert.ok(score > 0.99, `score of the same photo: ${score}`);
    assert.match(await page.locator('#results h2').textContent(), /p000000\.jpg/);
    await shot('01-search-photo');

    // Text search narrows to what the words say.
    await page.click('#clear-button');
    await page.fill('#text', 'ankle boots');
    await page.click('#search-button');
    await page.waitForSelector('#result-grid .product-card');
    const categories = await page.locator('#result-grid .product-card .card-meta .muted:first-child').allTextContents();
    assert.ok(categories.length > 0 && categories.every((c) => c === 'ankle boots'), `categories: ${categories}`);
    assert.match(page.url(), /\?q=ankle\+boots/);
    await shot('02-search-text');

    // Dropping a photo on the drop zone searches too (a real drop event carrying a File).
    await page.click('#clear-button');
    const bytes = fs.readFileSync(path.join(data.sample, 'products', 'p000001.jpg')).toString('base64');
    await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/jpeg;base64,${b64}`)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'dropped.jpg', { type: 'image/jpeg' }));
      const zone = document.querySelector('#dropzone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => /dropped\.jpg/.test(document.querySelector('#results h2')?.textContent || ''));
    await page.waitForSelector('#result-grid .product-card');
    assert.equal(await cards.first().getAttribute('data-product'), 'p000001');

    await cards.first().locator('a.card-link').click();
    await page.waitForURL(/product\.html\?id=p000001$/);
    await page.waitForSelector('#product-title');
  });

  let seed;  // {id, recs}: the product the next tests use

  check('product: image, attributes, pairs by slot with evidence, outfit, lookbooks', async () => {
    seed = await productWithEvidence();
    await page.goto(`${base}/product.html?id=${seed.id}`);
    await page.waitForSelector('#pair-groups .product-card');
    await page.waitForSelector('#outfit-items .product-card');
    await page.waitForSelector('#appears-list .card');
    const product = await getJson(base, `/api/products/${seed.id}`);
    assert.equal(await page.locator('#product-title').textContent(), product.title);
    assert.ok(await page.locator('.attrs tr').count() >= Object.keys(product.attributes).length);
    // Every recommendation the API gives is on the page, under its slot heading.
    for (const r of seed.recs) {
      const card = page.locator(`#pair-groups .slot-group[data-slot="${r.slot}"] .product-card[data-product="${r.product}"]`);
      assert.equal(await card.count(), 1, `recommendation ${r.product} (${r.slot}) shown once under its slot`);
    }
    // Evidence: the lookbooks a pair was seen in, linking to the lookbook page.
    const own = seed.recs.find((r) => r.source === 'pairs');
    const evidence = page.locator(`#pair-groups .product-card[data-product="${own.product}"] .evidence a`);
    assert.equal(await evidence.count(), own.evidence.length);
    assert.equal(await evidence.first().getAttribute('href'), `lookbook.html?id=${own.evidence[0]}`);
    assert.ok(await page.locator('#outfit-items .product-card').count() >= 2, 'an outfit of the seed and more');
    assert.ok(await page.locator('#outfit-items .seed').count() === 1, 'the seed marked in the outfit');
    await imagesLoaded('#appears-list img');
    await shot('03-product');
  });

  check('feedback: a thumbs down removes the pair, a thumbs up shows; both after reload', async () => {
    assert.ok(seed, 'the product test ran');
    const cards = page.locator('#pair-groups .product-card');
    const down = await cards.nth(0).getAttribute('data-product');
    const up = await cards.nth(1).getAttribute('data-product');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/feedback') && r.request().method() === 'POST'),
      cards.nth(0).locator('button.vote.down').click(),
    ]);
    assert.equal(resp.status(), 201, await resp.text());
    await page.waitForSelector(`#pair-groups .product-card[data-product="${down}"]`, { state: 'detached' });
    const [resp2] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/feedback') && r.request().method() === 'POST'),
      page.locator(`#pair-groups .product-card[data-product="${up}"] button.vote.up`).click(),
    ]);
    assert.equal(resp2.status(), 201, await resp2.text());

    await page.reload();
    await page.waitForSelector('#pair-groups .product-card');
    assert.equal(await page.locator(`#pair-groups .product-card[data-product="${down}"]`).count(), 0,
                 `${down} is gone after a thumbs down`);
    const upCard = page.locator(`#pair-groups .product-card[data-product="${up}"]`);
    assert.equal(await upCard.count(), 1);
    assert.equal(await upCard.locator('button.vote.up').getAttribute('aria-pressed'), 'true');
    assert.match(await upCard.locator('.badges').textContent(), /votes \+1/);
    // The server agrees: the pair is out of the list, the other carries the vote.
    const recs = (await getJson(base, `/api/products/${seed.id}/recommendations?k=24`)).recommendations;
    assert.ok(!recs.some((r) => r.product === down));
    assert.equal(recs.find((r) => r.product === up).feedback, 1);
    await shot('04-product-after-votes');
  });

  check('feedback on a server with a token: the refusal is shown, the token asked for once, the vote retried', async () => {
    const guarded = await startServer(data.db, path.join(config.artifacts, 'server-token.log'), ['--token', 'merch-secret']);
    try {
      await page.goto(`${guarded.base}/product.html?id=${seed.id}`);
      const card = page.locator('#pair-groups .product-card').first();
      await card.waitFor();
      const other = await card.getAttribute('data-product');
      await card.locator('button.vote.up').click();
      await card.locator('.vote-status .error').waitFor();
      assert.match(await card.locator('.vote-status .error').textContent(), /unauthorized/);
      await shot('05-feedback-token-asked');
      await card.locator('.token-form input').fill('merch-secret');
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/feedback')),
        card.locator('.token-form button').click(),
      ]);
      assert.equal(resp.status(), 201, await resp.text());
      assert.equal(resp.request().headers().authorization, 'Bearer merch-secret');
      const recs = (await getJson(guarded.base, `/api/products/${seed.id}/recommendations?k=24`)).recommendations;
      assert.equal(recs.find((r) => r.product === other).feedback, 1);
    } finally {
      await guarded.stop();
    }
  });

  check('complete the look: region outlines over the photo, hover shows matches, outfit beside', async () => {
    await page.goto(`${base}/complete.html`);
    const photo = path.join(data.sample, 'lookbooks', 'lb0001.jpg');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/complete')),
      page.setInputFiles('#photo', photo),
    ]);
    assert.equal(resp.status(), 200, await resp.text());
    const body = await resp.json();
    await page.waitForSelector('.overlay-svg .region');
    assert.equal(await page.locator('.overlay-svg .region').count(), body.regions.length);
    assert.ok(body.regions.length >= 2, `regions: ${body.regions.length}`);
    const box = await page.locator('.overlay').boundingBox();
    assert.ok(box.width > 200 && box.height > 200, 'the photo is shown');
    const photoBox = await page.locator('.overlay-photo').boundingBox();
    assert.deepEqual([Math.round(photoBox.width), Math.round(photoBox.height)], [Math.round(box.width), Math.round(box.height)],
                     'outlines and photo share one frame');
    await page.waitForFunction(() => document.querySelector('.overlay-photo').complete);

    // Hover a region that is not the one shown: it is highlighted and its matches replace the panel's.
    // The pointer goes where that region's outline is the topmost thing under it, as a user's would.
    const shown = await page.locator('#region-detail').getAttribute('data-region');
    const withMatches = new Set(body.regions.filter((r) => r.matches.length > 0).map((r) => String(r.id)));
    const spot = await page.evaluate(({ shown, ids }) => {
      for (const g of document.querySelectorAll('.overlay-svg .region')) {
        if (g.dataset.region === shown || !ids.includes(g.dataset.region)) continue;
        const b = g.querySelector('.region-shape').getBoundingClientRect();
        for (const [fx, fy] of [[0.5, 0.5], [0.5, 0.3], [0.5, 0.7], [0.3, 0.5], [0.7, 0.5]]) {
          const x = b.left + b.width * fx, y = b.top + b.height * fy;
          const hit = document.elementFromPoint(x, y);
          if (hit && hit.closest('.region') === g) return { id: g.dataset.region, x, y };
        }
      }
      return null;
    }, { shown, ids: [...withMatches] });
    assert.ok(spot, 'a second region with matches that the pointer can reach');
    const target = body.regions.find((r) => String(r.id) === spot.id);
    await page.mouse.move(spot.x, spot.y, { steps: 4 });
    await page.waitForSelector(`#region-detail[data-region="${target.id}"]`);
    await page.waitForFunction(() => document.querySelector('.overlay-photo').complete);
    await page.screenshot({ path: path.join(config.artifacts, '06-complete-the-look-hover.png') });  // as the user sees it
    assert.equal(await page.locator(`.overlay-svg .region[data-region="${target.id}"]`).getAttribute('class'), 'region active');
    const shownMatches = await page.locator('#region-matches .product-card').evaluateAll((els) => els.map((e) => e.dataset.product));
    assert.deepEqual(shownMatches, target.matches.map((m) => m.product));
    assert.equal(await page.locator('#outfit-items .product-card').count(), body.outfit.length);
    assert.ok(body.outfit.length >= 2, `outfit items: ${body.outfit.length}`);
    await shot('06-complete-the-look');
  });

  check('lookbooks: the browser, one lookbook with its regions and contexts, and the runs page', async () => {
    await page.goto(`${base}/lookbooks.html`);
    await page.waitForSelector('#lookbook-grid .lookbook-card');
    const list = await getJson(base, '/api/lookbooks?limit=200');
    assert.equal(await page.locator('#lookbook-grid .lookbook-card').count(), list.lookbooks.length);
    await imagesLoaded('#lookbook-grid img');
    await shot('07-lookbooks');

    // A two-person lookbook shows more than one context.
    const multi = list.lookbooks.find((lb) => lb.contexts > 1) || list.lookbooks[0];
    await page.click(`#lookbook-grid [data-lookbook="${multi.id}"] a.card-link`);
    await page.waitForSelector('.overlay-svg .region');
    const detail = await getJson(base, `/api/lookbooks/${multi.id}`);
    assert.equal(await page.locator('.overlay-svg .region').count(), detail.regions.length);
    assert.equal(await page.locator('#region-table tbody tr').count(), detail.regions.length);
    const colours = await page.locator('.overlay-svg .region-shape').evaluateAll((els) => new Set(els.map((e) => e.getAttribute('stroke'))).size);
    assert.equal(colours, new Set(detail.regions.map((r) => r.context)).size, 'one outline colour per outfit context');
    await page.locator('#region-table tbody tr').nth(1).hover();
    await page.waitForSelector(`#region-detail[data-region="${detail.regions[1].id}"]`);
    await page.waitForFunction(() => document.querySelector('.overlay-photo').complete);
    await shot('08-lookbook');

    await page.goto(`${base}/runs.html`);
    await page.waitForSelector('#runs-table tbody tr.run-row');
    const stages = await page.locator('#runs-table tbody tr.run-row td:nth-child(2)').allTextContents();
    for (const s of ['segment', 'embed', 'index', 'match', 'cooccur', 'recommend']) assert.ok(stages.includes(s), `run of ${s}: ${stages}`);
    await page.locator('#runs-table tbody tr.run-row', { hasText: 'embed' }).first().click();
    await page.waitForSelector('.run-details pre');
    assert.match(await page.locator('.run-details').textContent(), /model\s+classic/);
    await page.waitForSelector('#stat-cards .stat');
    await shot('09-runs');
  });

  check('errors from the API are shown to the user', async () => {
    await page.goto(`${base}/product.html?id=no-such-product`);
    await page.waitForSelector('.error');
    assert.match(await page.locator('.error').textContent(), /not_found/);
    await shot('10-error-unknown-product');

    await page.goto(`${base}/`);
    await page.setInputFiles('#photo', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a jpeg at all') });
    await page.waitForSelector('#results .error');
    const text = await page.locator('#results .error').textContent();
    assert.match(text, /Search failed/);
    assert.match(text, /bad_input|invalid_argument|bad_request/);
    await shot('11-error-bad-photo');
  });

  check('text from the data is shown as text, never run as markup', async () => {
    await page.goto(`${base}/?q=Hostile`);
    const card = page.locator(`#result-grid .product-card[data-product="${HOSTILE.id}"]`);
    await card.waitFor();
    assert.equal(await card.locator('.card-title').textContent(), HOSTILE.title);
    assert.equal(await card.locator('.card-title b, .card-title img').count(), 0);
    await card.locator('a.card-link').click();
    await page.waitForSelector('#product-title');
    assert.equal(await page.locator('#product-title').textContent(), HOSTILE.title);
    assert.equal(await page.locator('.attrs td', { hasText: 'window.__xss=2' }).textContent(), HOSTILE.style);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await shot('12-hostile-text');
  });

  test('no uncaught script errors on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
