// Shared pieces of the pages: error boxes, product cards, slot badges, the status footer.
import { h, replace, safeUrl, fmtScore, fmtCount } from './dom.js';
import { api } from './api.js';

export function productUrl(id) {
  return `product.html?id=${encodeURIComponent(id)}`;
}

export function lookbookUrl(id) {
  return `lookbook.html?id=${encodeURIComponent(id)}`;
}

// The API's error, as the user should read it: what failed, the server's code and message.
export function errorBox(err, what) {
  const code = err && err.code ? err.code : 'error';
  const message = err && err.message ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' },
    h('strong', null, what ? `${what} failed` : 'Something went wrong'),
    ' ', h('code', null, code), h('span', { class: 'error-message' }, message));
}

export function notice(text) {
  return h('p', { class: 'notice' }, text);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', 'aria-busy': 'true' }, text);
}

export function thumb(url, alt, cls = 'thumb') {
  const src = safeUrl(url);
  return src ? h('img', { class: cls, src, alt: alt || '', loading: 'lazy', decoding: 'async' })
             : h('div', { class: `${cls} thumb-missing`, role: 'img', 'aria-label': 'no image' });
}

export function slotBadge(slot) {
  return slot ? h('span', { class: `badge slot slot-${String(slot).replace(/[^a-z-]/g, '')}` }, slot) : null;
}

// A product tile: image, title, category, optional score, linking to the product page.
// extra: nodes appended under the title (reason, evidence, votes...).
export function productCard(item, { score = item.score, scoreLabel = 'score', extra = [], tag = 'li' } = {}) {
  const id = item.product ?? item.id;
  return h(tag, { class: 'card product-card', dataset: { product: id } },
    h('a', { class: 'card-link', href: productUrl(id) },
      thumb(item.image, item.title),
      h('span', { class: 'card-title' }, item.title || id)),
    h('div', { class: 'card-meta' },
      h('span', { class: 'muted' }, item.category || ''),
      h('span', { class: 'muted mono' }, id)),
    score !== undefined && score !== null
      ? h('div', { class: 'score', title: scoreLabel },
          h('span', { class: 'score-bar' }, h('span', { style: `width:${Math.max(0, Math.min(1, score)) * 100}%` })),
          h('span', { class: 'score-value' }, fmtScore(score)))
      : null,
    extra);
}

// Footer line: what the server has loaded. Failures here are quiet (the page says the rest).
export async function statusFooter() {
  const footer = document.querySelector('footer.status');
  if (!footer) return;
  try {
    const st = await api.stats();
    const t = st.tables || {};
    const idx = st.index || {};
    replace(footer,
      `${fmtCount(t.products)} products · ${fmtCount(t.lookbooks)} lookbooks · ${fmtCount(t.regions)} regions · `,
      h('span', { class: idx.status === 'ready' ? 'ok' : 'warn' },
        `search index ${idx.status || 'unknown'}`),
      idx.status === 'ready' ? '' : ` (${idx.reason || 'run the pipeline'})`,
      st.snapshot && st.snapshot.run_id ? ` · data as of run #${st.snapshot.run_id}` : '');
  } catch (e) {
    replace(footer, h('span', { class: 'warn' }, `server status unavailable: ${e.message}`));
  }
}

// Mark the current page in the header navigation.
export function markNav(page) {
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
  }
}

// Colours for outfit contexts and regions: distinct, readable on photos.
export const PALETTE = ['#e4572e', '#17bebb', '#ffc914', '#76b041', '#9b5de5', '#f15bb5', '#00bbf9', '#fe7f2d'];
export const colourOf = (i) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];

// Every page: highlight its nav entry, fill the status footer.
export function initPage() {
  markNav(document.body.dataset.page);
  statusFooter();
}

// A short message in the corner that goes away by itself.
export function toast(text, ms = 3500) {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), ms);
}
