// A photo with its regions outlined over it (SVG in the photo's own pixel coordinates, so it
// scales with the image). Used by the complete-the-look page and the lookbook detail page.
import { h, s, safeUrl } from './dom.js';

function pointsOf(region) {
  const poly = Array.isArray(region.polygon) ? region.polygon : [];
  if (poly.length >= 3) return poly.map(([x, y]) => `${x},${y}`).join(' ');
  const [x, y, w, ht] = region.bbox || [0, 0, 0, 0];
  return `${x},${y} ${x + w},${y} ${x + w},${y + ht} ${x},${y + ht}`;
}

// regions: [{id, bbox:[x,y,w,h], polygon:[[x,y]...]}]; colour(region) -> css colour;
// label(region) -> short text drawn at the box corner.
// Returns {element, highlight(id|null)}; onHover(region|null) fires on pointer enter/leave
// and on keyboard focus, onSelect(region) on click / Enter.
export function regionOverlay({ image, src, width, height, regions, colour, label, onHover, onSelect }) {
  const img = image || h('img', { src: safeUrl(src) || '', alt: 'photo with region outlines' });
  img.classList.add('overlay-photo');
  const svg = s('svg', {
    class: 'overlay-svg', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none',
    role: 'group', 'aria-label': `${regions.length} regions`,
  });
  // Labels on every outline only while they stay readable; otherwise on the active one only.
  if (regions.length <= 8) svg.classList.add('few');
  const byId = new Map();
  // Larger regions first so small ones stay on top and reachable by the pointer.
  const ordered = [...regions].sort((a, b) => (b.bbox[2] * b.bbox[3]) - (a.bbox[2] * a.bbox[3]));
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 250));
  for (const r of ordered) {
    const c = colour(r);
    const shape = s('polygon', {
      class: 'region-shape', points: pointsOf(r), stroke: c, fill: c,
      'stroke-width': stroke, 'vector-effect': 'non-scaling-stroke',
    });
    const text = label ? label(r) : '';
    const g = s('g', {
      class: 'region', tabindex: '0', role: 'button', dataset: { region: r.id },
      'aria-label': text ? `region ${r.id}: ${text}` : `region ${r.id}`,
    }, s('title', null, text ? `#${r.id} ${text}` : `#${r.id}`), shape);
    if (text) {
      const fs = Math.max(12, Math.round(Math.max(width, height) / 45));
      g.append(s('text', { class: 'region-label', x: r.bbox[0] + 3, y: r.bbox[1] + fs, 'font-size': fs, fill: c }, text));
    }
    g.addEventListener('pointerenter', () => onHover && onHover(r));
    g.addEventListener('focus', () => onHover && onHover(r));
    g.addEventListener('click', () => onSelect && onSelect(r));
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect && onSelect(r); } });
    byId.set(String(r.id), g);
    svg.append(g);
  }
  svg.addEventListener('pointerleave', () => onHover && onHover(null));

  const element = h('div', { class: 'overlay', style: `aspect-ratio:${width} / ${height}` }, img, svg);
  let current = null;
  return {
    element,
    highlight(id) {
      if (current) current.classList.remove('active');
      current = id === null || id === undefined ? null : byId.get(String(id)) || null;
      if (current) current.classList.add('active');
      svg.classList.toggle('has-active', !!current);
    },
  };
}
