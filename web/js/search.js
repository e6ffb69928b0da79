// Search page: a photo (dropped or picked), a product ("more like this") or text -> product grid.
import { h, $, replace, param } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, notice, loading, productCard, productUrl } from './ui.js';
import { attachDropzone } from './dropzone.js';

initPage();

const form = $('#search-form');
const results = $('#results');
const textInput = $('#text');
const categoryInput = $('#category');
const kSelect = $('#k');
let photo = null;
let seq = 0;  // only the latest search may render

const reset = attachDropzone({
  zone: $('#dropzone'), input: $('#photo'), preview: $('#drop-preview'), title: $('#drop-title'),
  onFile: (file) => { photo = file; run({ kind: 'image', file }); syncUrl(null); },
  onReject: (msg) => replace(results, errorBox({ code: 'bad_input', message: msg }, 'Search')),
});

function options() {
  return { k: Number(kSelect.value) || 24, category: categoryInput.value.trim() || undefined };
}

async function run(query) {
  const my = ++seq;
  const opts = options();
  const text = textInput.value.trim();
  let title;
  let call;
  if (query.kind === 'image') {
    title = `Products that look like “${query.file.name || 'your photo'}”` + (text ? ` and match “${text}”` : '');
    call = () => api.searchImage(query.file, { ...opts, text: text || undefined });
  } else if (query.kind === 'product') {
    title = null;  // filled in below with the product's title
    call = () => api.searchProduct(query.id, opts);
  } else {
    title = `Products matching “${query.text}”`;
    call = () => api.searchText(query.text, opts);
  }
  replace(results, loading('Searching…'));
  const started = performance.now();
  try {
    const data = await call();
    if (my !== seq) return;
    const ms = Math.round(performance.now() - started);
    if (query.kind === 'product') {
      title = h('span', null, 'More like ', h('a', { href: productUrl(query.id) }, query.id));
    }
    render(title, data.results || [], ms);
  } catch (e) {
    if (my !== seq) return;
    replace(results, errorBox(e, 'Search'));
  }
}

function render(title, items, ms) {
  const head = h('div', { class: 'page-head' },
    h('h2', null, title),
    h('p', null, `${items.length} result${items.length === 1 ? '' : 's'} · ${ms} ms`));
  if (items.length === 0) {
    replace(results, head, notice('Nothing matched. Try other words, another photo, or no category.'));
    return;
  }
  replace(results, head, h('ul', { class: 'grid', id: 'result-grid' }, items.map((it) => productCard(it))));
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = textInput.value.trim();
  if (photo) {
    run({ kind: 'image', file: photo });
    syncUrl(null);
  } else if (text) {
    run({ kind: 'text', text });
    syncUrl({ q: text });
  } else {
    replace(results, errorBox({ code: 'bad_request', message: 'Choose a photo or type some text first.' }, 'Search'));
  }
});

$('#clear-button').addEventListener('click', () => {
  photo = null;
  reset();
  textInput.value = '';
  categoryInput.value = '';
  replace(results);
  syncUrl(null);
});

// Text and "more like this" searches are links (shareable, back button works); photos are not.
function syncUrl(params) {
  const qs = new URLSearchParams();
  if (params) for (const [k, v] of Object.entries(params)) qs.set(k, v);
  if (params && categoryInput.value.trim()) qs.set('category', categoryInput.value.trim());
  const url = qs.toString() ? `?${qs}` : location.pathname;
  history.replaceState(null, '', url);
}

const q = param('q');
const like = param('like');
if (param('category')) categoryInput.value = param('category');
if (like) {
  run({ kind: 'product', id: like });
} else if (q) {
  textInput.value = q;
  run({ kind: 'text', text: q });
}
