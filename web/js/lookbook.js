// One lookbook: the photo with its regions outlined (coloured by outfit context), a table of the
// regions, and the hovered region's matched products.
import { h, $, replace, param, fmtScore, fmtPercent } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, loading, notice, slotBadge, colourOf } from './ui.js';
import { regionView } from './look.js';

initPage();

const root = $('#lookbook');
const id = param('id');

if (!id) {
  replace(root, errorBox({ code: 'bad_request', message: 'No lookbook id in the address (lookbook.html?id=...).' }, 'Opening the lookbook'));
} else {
  main();
}

async function main() {
  replace(root, loading('Loading the lookbook…'));
  let lb;
  try {
    lb = await api.lookbook(id);
  } catch (e) {
    replace(root, errorBox(e, `Loading lookbook ${id}`));
    return;
  }
  document.title = `${lb.id} · Lookbooks · Ensemble`;
  const regions = lb.regions || [];
  const view = regionView({ photo: { src: lb.image, width: lb.width, height: lb.height }, regions,
                            colourKey: (r) => r.context, panelTitle: 'Region',
                            chips: false /* the regions table lists them */ });
  const contexts = [...new Set(regions.map((r) => r.context))].sort((a, b) => a - b);

  const table = h('table', { class: 'data', id: 'region-table' },
    h('thead', null, h('tr', null, ['region', 'context', 'slot', 'category', 'mask conf.', 'category vote', 'area', 'best match']
      .map((c, i) => h('th', { class: i >= 4 ? 'num' : null }, c)))),
    h('tbody', null, regions.map((r) => {
      const row = h('tr', { class: 'run-row', dataset: { region: r.id } },
        h('td', { class: 'mono' }, `#${r.id}`),
        h('td', null, h('span', { class: 'swatch', style: `background:${colourOf(r.context)}` }), ` ${r.context}`),
        h('td', null, slotBadge(r.slot) || h('span', { class: 'muted' }, '–')),
        h('td', { class: 'nowrap' }, r.category || h('span', { class: 'muted' }, 'not matched yet')),
        h('td', { class: 'num' }, fmtScore(r.confidence, 2)),
        h('td', { class: 'num' }, fmtPercent(r.category_confidence)),
        h('td', { class: 'num' }, r.area ? r.area.toLocaleString('en-GB') : '–'),
        h('td', { class: 'num' }, r.matches && r.matches[0] ? fmtScore(r.matches[0].score) : '–'));
      row.addEventListener('pointerenter', () => view.show(r.id));
      row.addEventListener('pointerleave', () => view.restore());
      row.addEventListener('click', () => view.pin(r.id));
      return row;
    })));

  replace(root,
    h('div', { class: 'page-head' },
      h('h1', null, h('a', { href: 'lookbooks.html' }, 'Lookbooks'), ' / ', lb.id),
      h('p', null, `${regions.length} regions in ${contexts.length} outfit context${contexts.length === 1 ? '' : 's'} · ${lb.width} × ${lb.height} px`)),
    h('div', { class: 'look-layout' },
      h('div', { class: 'photo-col' }, view.overlay, view.chips,
        h('p', { class: 'hint' }, 'Outline colours are outfit contexts: regions of one colour belong to one person\'s outfit.')),
      h('div', { class: 'side' }, view.panel,
        h('section', { class: 'panel' }, h('h2', null, 'Regions'),
          regions.length ? table : notice('The segment stage has not found regions in this photo (or has not run).')))));
  view.pin(regions.length ? regions[0].id : null);
}
