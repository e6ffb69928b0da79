// The shared view of a photo and its regions: the photo with outlines, chips for each region, and
// a panel showing the hovered (or pinned) region's matches. Used by complete.js and lookbook.js.
import { h, replace, fmtScore, fmtPercent } from './dom.js';
import { productCard, slotBadge, colourOf, notice } from './ui.js';
import { regionOverlay } from './overlay.js';

export function regionName(r) {
  if (r.whole_image) return 'whole photo';
  return r.category || r.slot || `region ${r.id}`;
}

// photo: {image?: HTMLImageElement, src?: url, width, height}; regions: the API's regions.
// colourKey(region) picks the colour (default: the region's position).
// Returns {overlay, chips, panel, show(id), pin(id), restore()}: hovering shows a region, leaving
// goes back to the pinned one (the last clicked).
export function regionView({ photo, regions, colourKey, panelTitle = 'Region', chips: withChips = true }) {
  const index = new Map(regions.map((r, i) => [String(r.id), i]));
  const colour = (r) => colourOf(colourKey ? colourKey(r) : index.get(String(r.id)));
  const panel = h('section', { class: 'panel region-detail', id: 'region-detail', 'aria-live': 'polite' });
  let pinned = null;

  const overlay = regionOverlay({
    ...photo, regions, colour, label: regionName,
    onHover: (r) => show(r ? r.id : pinned),
    onSelect: (r) => { pinned = r.id; show(r.id); },
  });

  // Chips repeat the outlines as buttons (keyboard, small regions); past a couple of dozen they are noise.
  const chips = h('ul', { class: 'region-chips', id: 'region-chips', hidden: !withChips || regions.length > 24 }, regions.map((r) => {
    const chip = h('button', {
      type: 'button', class: 'region-chip', style: `border-color:${colour(r)}`, dataset: { region: r.id },
      onclick: () => { pinned = r.id; show(r.id); },
    }, regionName(r));
    chip.addEventListener('pointerenter', () => show(r.id));
    chip.addEventListener('pointerleave', () => show(pinned));
    return h('li', null, chip);
  }));

  function show(id) {
    overlay.highlight(id);
    for (const chip of chips.querySelectorAll('.region-chip')) {
      const on = id !== null && id !== undefined && chip.dataset.region === String(id);
      chip.classList.toggle('active', on);
      chip.style.background = on ? chip.style.borderColor : '';
    }
    const r = id === null || id === undefined ? null : regions[index.get(String(id))];
    if (!r) {
      replace(panel, h('h2', null, panelTitle), notice('Hover a region on the photo to see the products it matches.'));
      panel.dataset.region = '';
      return;
    }
    panel.dataset.region = String(r.id);
    const matches = (r.matches || []).slice(0, 10);
    replace(panel,
      h('h2', null, h('span', { class: 'swatch', style: `background:${colour(r)}` }), regionName(r), slotBadge(r.slot)),
      h('p', { class: 'kv' },
        h('span', null, 'region ', h('b', null, `#${r.id}`)),
        r.context !== undefined ? h('span', null, 'outfit context ', h('b', null, String(r.context))) : null,
        r.score !== undefined ? h('span', null, 'score ', h('b', null, fmtScore(r.score))) : null,
        r.confidence !== undefined ? h('span', null, 'mask confidence ', h('b', null, fmtScore(r.confidence))) : null,
        r.slot_confidence !== undefined ? h('span', null, 'slot confidence ', h('b', null, fmtPercent(r.slot_confidence))) : null,
        r.category_confidence !== undefined ? h('span', null, 'category vote ', h('b', null, fmtPercent(r.category_confidence))) : null,
        r.bbox ? h('span', null, 'box ', h('b', null, r.bbox.join(', '))) : null),
      matches.length ? h('ul', { class: 'grid mini', id: 'region-matches' }, matches.map((m) => productCard(m)))
                     : notice('No catalog product matches this region.'));
  }

  return { overlay: overlay.element, chips, panel, show, restore: () => show(pinned), pin: (id) => { pinned = id; show(id); } };
}
