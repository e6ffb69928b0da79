// Product page: the product, its complete outfit, what pairs well with it (by slot, with the
// lookbooks as evidence and thumbs up/down), and the lookbooks where it appears.
import { h, s, $, replace, param, fmtScore, fmtPercent, fmtTime, safeUrl } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, notice, loading, productCard, slotBadge, lookbookUrl, thumb } from './ui.js';
import { voteButtons } from './votes.js';

initPage();

const root = $('#product');
const id = param('id');

const SLOT_ORDER = ['top', 'bottom', 'dress', 'outerwear', 'shoes', 'bag', 'accessory'];
const slotRank = (slot) => { const i = SLOT_ORDER.indexOf(slot); return i < 0 ? SLOT_ORDER.length : i; };

if (!id) {
  replace(root, errorBox({ code: 'bad_request', message: 'No product id in the address (product.html?id=...).' }, 'Opening the product'));
} else {
  main();
}

async function main() {
  replace(root, loading('Loading the product…'));
  let product;
  try {
    product = await api.product(id);
  } catch (e) {
    replace(root, errorBox(e, `Loading product ${id}`));
    return;
  }
  document.title = `${product.title || product.id} · Ensemble`;
  const outfit = h('section', { class: 'panel', id: 'outfit' });
  const pairs = h('section', { class: 'panel', id: 'pairs' });
  const appears = h('section', { class: 'panel', id: 'appears' });
  replace(root, header(product), outfit, pairs, appears);
  loadOutfit(outfit, product);
  loadPairs(pairs, product);
  loadLookbooks(appears, product);
}

function header(p) {
  const attrs = Object.entries(p.attributes || {});
  return h('section', { class: 'panel product-head', id: 'product-head' },
    safeUrl(p.image) ? h('img', { class: 'hero', src: safeUrl(p.image), alt: p.title || p.id }) : thumb(null, '', 'hero'),
    h('div', null,
      h('h1', { id: 'product-title' }, p.title || p.id),
      h('div', { class: 'badges' },
        h('span', { class: 'badge mono' }, p.id),
        p.category ? h('span', { class: 'badge' }, p.category) : null,
        slotBadge(p.slot)),
      h('table', { class: 'attrs' },
        h('tbody', null,
          attrs.map(([k, v]) => h('tr', null, h('th', null, k.replace(/_/g, ' ')), h('td', null, String(v)))),
          p.width && p.height ? h('tr', null, h('th', null, 'image'), h('td', null, `${p.width} × ${p.height} px`)) : null,
          p.updated_at ? h('tr', null, h('th', null, 'updated'), h('td', null, fmtTime(p.updated_at))) : null)),
      h('div', { class: 'field-row' },
        h('a', { class: 'button secondary', href: `index.html?like=${encodeURIComponent(p.id)}` }, 'More like this'))));
}

function evidenceLinks(ids) {
  if (!Array.isArray(ids) || ids.length === 0) return null;
  const links = [];
  ids.forEach((lb, i) => {
    if (i) links.push(', ');
    links.push(h('a', { href: lookbookUrl(lb) }, lb));
  });
  return h('p', { class: 'evidence' }, h('span', { class: 'muted' }, 'seen in '), links);
}

function sourceBadge(source) {
  if (!source) return null;
  const text = source === 'neighbours' ? 'via look-alike' : source === 'pairs' ? 'seen together' : source;
  return h('span', { class: `badge source-${source}` }, text);
}

async function loadOutfit(section, product) {
  replace(section, h('h2', null, 'Complete outfit'), loading());
  let data;
  try {
    data = await api.outfit(product.id);
  } catch (e) {
    replace(section, h('h2', null, 'Complete outfit'), errorBox(e, 'Loading the outfit'));
    return;
  }
  const items = data.outfit || [];
  const rows = items.map((it) => {
    const seed = it.product === product.id;
    return productCard(it, {
      score: seed ? null : it.score,
      extra: [
        h('div', { class: 'badges' }, slotBadge(it.slot),
          !seed && it.probability !== undefined ? h('span', { class: 'badge', title: 'how often this slot completes the seed' }, fmtPercent(it.probability)) : null,
          seed ? h('span', { class: 'badge' }, 'this product') : null),
        !seed && it.reason ? h('p', { class: 'reason' }, it.reason) : null,
        seed ? null : evidenceLinks(it.evidence),
        seed ? null : voteButtons({ seed: product.id, other: it.product, target: 'outfit', title: it.title,
                                    onVoted: () => loadOutfit(section, product) }),
      ],
    });
  });
  rows.forEach((row, i) => { if (items[i].product === product.id) row.classList.add('seed'); });
  const unfilled = data.unfilled || [];
  replace(section,
    h('div', { class: 'page-head' }, h('h2', null, 'Complete outfit'),
      h('p', null, data.plan ? `slot plan: ${data.plan === 'rules' ? 'rules of thumb' : 'learnt from the lookbooks'}` : '')),
    items.length > 1 ? h('ul', { class: 'outfit-row', id: 'outfit-items' }, rows)
                     : notice(data.reason || 'No outfit could be assembled for this product yet.'),
    unfilled.length ? h('ul', { class: 'unfilled' },
      unfilled.map((u) => h('li', null, h('b', null, u.slot), `: ${u.reason}`))) : null);
}

async function loadPairs(section, product) {
  replace(section, h('h2', null, 'Pairs well with'), loading());
  let data;
  try {
    data = await api.recommendations(product.id, 24);
  } catch (e) {
    replace(section, h('h2', null, 'Pairs well with'), errorBox(e, 'Loading recommendations'));
    return;
  }
  const recs = data.recommendations || [];
  const head = h('div', { class: 'page-head' }, h('h2', null, 'Pairs well with'),
    h('p', null, recs.length ? `${recs.length} products, grouped by slot; vote to teach the recommender` : ''));
  if (recs.length === 0) {
    replace(section, head, notice(data.reason || 'No recommendations for this product.'));
    return;
  }
  const bySlot = new Map();
  for (const r of recs) {
    const slot = r.slot || 'other';
    if (!bySlot.has(slot)) bySlot.set(slot, []);
    bySlot.get(slot).push(r);
  }
  const groups = [...bySlot.entries()].sort((a, b) => slotRank(a[0]) - slotRank(b[0]) || a[0].localeCompare(b[0]));
  replace(section, head, h('div', { id: 'pair-groups' }, groups.map(([slot, list]) =>
    h('div', { class: 'slot-group', dataset: { slot } },
      h('h3', null, slot, h('span', { class: 'muted' }, ` · ${list.length}`)),
      h('ul', { class: 'grid compact' }, list.map((r) => productCard(r, {
        extra: [
          h('div', { class: 'badges' }, sourceBadge(r.source),
            r.support ? h('span', { class: 'badge', title: 'lookbooks with evidence' }, `${r.support} lookbook${r.support === 1 ? '' : 's'}`) : null,
            r.feedback ? h('span', { class: 'badge source-feedback', title: 'net votes' }, `votes ${r.feedback > 0 ? '+' : ''}${r.feedback}`) : null),
          r.reason ? h('p', { class: 'reason' }, r.reason) : null,
          evidenceLinks(r.evidence),
          voteButtons({ seed: product.id, other: r.product, title: r.title,
                        onVoted: () => { loadPairs(section, product); loadOutfit($('#outfit'), product); } }),
        ],
      })))))));
}

async function loadLookbooks(section, product) {
  replace(section, h('h2', null, 'Appears in lookbooks'), loading());
  let data;
  try {
    data = await api.productLookbooks(product.id, 8);
  } catch (e) {
    replace(section, h('h2', null, 'Appears in lookbooks'), errorBox(e, 'Loading lookbooks'));
    return;
  }
  const list = data.lookbooks || [];
  replace(section,
    h('div', { class: 'page-head' }, h('h2', null, 'Appears in lookbooks'),
      h('p', null, 'the lookbook regions this product matches best (where it appears, or would fit)')),
    list.length === 0 ? notice('No lookbook region matches this product yet.')
      : h('ul', { class: 'lb-grid', id: 'appears-list' }, list.map((lb) => h('li', { class: 'card' },
          h('a', { class: 'card-link', href: lookbookUrl(lb.lookbook) }, boxedPhoto(lb.image, lb.bbox, lb.lookbook),
            h('span', { class: 'card-title' }, lb.lookbook)),
          h('div', { class: 'card-meta' }, h('span', { class: 'muted' }, lb.region_category || 'region'),
            h('span', { class: 'muted' }, `context ${lb.context}`)),
          h('div', { class: 'score' }, h('span', { class: 'score-bar' },
            h('span', { style: `width:${Math.max(0, Math.min(1, lb.score || 0)) * 100}%` })),
            h('span', { class: 'score-value' }, fmtScore(lb.score)))))));
}

// The lookbook photo with the matching region's box drawn once its pixel size is known.
function boxedPhoto(url, bbox, alt) {
  const img = h('img', { class: 'overlay-photo', src: safeUrl(url) || '', alt: `lookbook ${alt}`, loading: 'lazy' });
  const box = h('div', { class: 'overlay lookbook-thumb' }, img);
  img.addEventListener('load', () => {
    const [x, y, w, ht] = bbox || [0, 0, 0, 0];
    const W = img.naturalWidth, H = img.naturalHeight;
    box.style.aspectRatio = `${W} / ${H}`;
    box.append(s('svg', { class: 'overlay-svg', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' },
      s('rect', { x, y, width: w, height: ht, fill: 'none', stroke: '#e4572e', 'stroke-width': 3, 'vector-effect': 'non-scaling-stroke' })));
  });
  return box;
}
