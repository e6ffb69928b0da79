// Complete-the-look page: upload an inspiration photo -> its regions outlined over it (hover one to
// see its matches) and the outfit assembled from them beside it.
import { h, $, replace } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, notice, loading, productCard, slotBadge } from './ui.js';
import { attachDropzone } from './dropzone.js';
import { regionView } from './look.js';

initPage();

const look = $('#look');
let seq = 0;
let photoUrl = null;

attachDropzone({
  zone: $('#dropzone'), input: $('#photo'), preview: $('#drop-preview'), title: $('#drop-title'),
  onFile: complete,
  onReject: (msg) => replace(look, errorBox({ code: 'bad_input', message: msg }, 'Complete the look')),
});

async function complete(file) {
  const my = ++seq;
  replace(look, loading('Segmenting the photo and matching its garments…'));
  const started = performance.now();
  let data;
  try {
    data = await api.complete(file, { k: 6 });
  } catch (e) {
    if (my === seq) replace(look, errorBox(e, 'Complete the look'));
    return;
  }
  if (my !== seq) return;
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = URL.createObjectURL(file);
  render(data, photoUrl, Math.round(performance.now() - started));
}

function render(data, url, ms) {
  const regions = data.regions || [];
  const { width, height } = data.image || {};
  if (!width || !height) {
    replace(look, errorBox({ code: 'bad_response', message: 'The server did not say the photo\'s size.' }, 'Complete the look'));
    return;
  }
  const view = regionView({ photo: { src: url, width, height }, regions, panelTitle: 'Matches' });
  const outfit = data.outfit || [];
  const unfilled = data.unfilled || [];

  const outfitPanel = h('section', { class: 'panel', id: 'outfit' },
    h('div', { class: 'page-head' }, h('h2', null, 'The outfit'),
      h('p', null, data.plan ? `slot plan: ${data.plan === 'rules' ? 'rules of thumb' : 'learnt from the lookbooks'}` : '')),
    outfit.length ? h('ul', { class: 'outfit-row', id: 'outfit-items' }, outfit.map((it) => {
      const card = productCard(it, {
        extra: [
          h('div', { class: 'badges' }, slotBadge(it.slot),
            h('span', { class: `badge source-${it.source}` }, it.source === 'photo' ? 'in the photo' : 'completes it')),
          it.reason ? h('p', { class: 'reason' }, it.reason) : null,
        ],
      });
      if (it.region !== undefined && it.region !== null) {
        card.addEventListener('pointerenter', () => view.show(it.region));
        card.addEventListener('pointerleave', () => view.restore());
      }
      return card;
    })) : notice('No outfit could be assembled from this photo.'),
    unfilled.length ? h('ul', { class: 'unfilled' },
      unfilled.map((u) => h('li', null, h('b', null, u.slot), `: ${u.reason}`))) : null);

  replace(look,
    h('p', { class: 'hint' }, `${regions.length} region${regions.length === 1 ? '' : 's'} · ${outfit.length} outfit items · ${ms} ms`),
    h('div', { class: 'look-layout' },
      h('div', { class: 'photo-col' }, view.overlay, view.chips),
      h('div', { class: 'side' }, view.panel, outfitPanel)));
  // Start on the region behind the first outfit item found in the photo, else the first region.
  const first = outfit.find((o) => o.source === 'photo' && o.region !== undefined);
  view.pin(first ? first.region : regions.length ? regions[0].id : null);
}
