// Lookbook browser: the imported lookbooks, 48 to a page, each with its region and context counts.
import { h, $, replace, param, fmtCount } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, notice, loading, thumb, lookbookUrl } from './ui.js';

initPage();

const PAGE = 48;
const root = $('#lookbooks');
const summary = $('#lookbooks-summary');

async function show(offset) {
  replace(root, loading('Loading lookbooks…'));
  let data;
  try {
    data = await api.lookbooks(offset, PAGE);
  } catch (e) {
    replace(root, errorBox(e, 'Loading lookbooks'));
    return;
  }
  const list = data.lookbooks || [];
  const total = data.total ?? list.length;
  summary.textContent = `${fmtCount(total)} imported inspiration photos; open one to see its regions, outfit contexts and matches.`;
  if (list.length === 0) {
    replace(root, notice('No lookbooks yet: import some with `ensemble lookbooks import DIR`.'));
    return;
  }
  const pager = h('div', { class: 'pager' },
    h('button', { type: 'button', class: 'secondary', disabled: offset === 0,
                  onclick: () => go(Math.max(0, offset - PAGE)) }, '← Previous'),
    h('span', { class: 'muted' }, `${offset + 1}–${offset + list.length} of ${fmtCount(total)}`),
    h('button', { type: 'button', class: 'secondary', disabled: offset + list.length >= total,
                  onclick: () => go(offset + PAGE) }, 'Next →'));
  replace(root,
    h('ul', { class: 'grid', id: 'lookbook-grid' }, list.map((lb) => h('li', { class: 'card lookbook-card', dataset: { lookbook: lb.id } },
      h('a', { class: 'card-link', href: lookbookUrl(lb.id) }, thumb(lb.image, `lookbook ${lb.id}`),
        h('span', { class: 'card-title' }, lb.id)),
      h('div', { class: 'card-meta' },
        h('span', { class: 'muted' }, `${fmtCount(lb.regions)} regions`),
        h('span', { class: 'muted' }, `${fmtCount(lb.contexts)} context${lb.contexts === 1 ? '' : 's'}`)),
      lb.width ? h('div', { class: 'card-meta' }, h('span', { class: 'muted' }, `${lb.width} × ${lb.height} px`)) : null))),
    total > PAGE ? pager : null);
}

function go(offset) {
  history.pushState(null, '', offset ? `?offset=${offset}` : location.pathname);
  show(offset);
}

window.addEventListener('popstate', () => show(Number(param('offset')) || 0));
show(Math.max(0, Number(param('offset')) || 0));
