// Thumbs up / down on a recommendation (POST /api/feedback). The server keeps the votes; this
// module only remembers which button this browser pressed, to show it pressed after a reload.
import { h, s, replace } from './dom.js';
import { api, setToken, getToken } from './api.js';
import { errorBox, toast } from './ui.js';

const KEY = 'ensemble.votes';

function load() {
  try { return JSON.parse(localStorage.getItem(KEY) || '{}') || {}; } catch { return {}; }
}

function remember(key, vote) {
  const all = load();
  all[key] = vote;
  try { localStorage.setItem(KEY, JSON.stringify(all)); } catch { /* private mode */ }
}

export function myVote(seed, other, target) {
  return load()[`${target}|${seed}|${other}`] || null;
}

// The buttons under one recommended product. onVoted(vote) runs after the server accepted it.
export function voteButtons({ seed, other, target = 'pair', title, onVoted }) {
  const key = `${target}|${seed}|${other}`;
  const current = myVote(seed, other, target);
  const wrap = h('div', { class: 'votes' });
  const status = h('div', { class: 'vote-status' });
  const make = (vote, label, text) => h('button', {
    type: 'button', class: `vote ${vote}`, 'aria-pressed': current === vote ? 'true' : 'false',
    title: `${label}: ${title || other} ${target === 'outfit' ? 'in this outfit' : 'with this product'}`,
    'aria-label': `${label} ${other}`, dataset: { vote },
    onclick: async (e) => {
      const button = e.currentTarget;
      const buttons = wrap.querySelectorAll('button');
      buttons.forEach((b) => { b.disabled = true; });
      replace(status);
      try {
        await api.feedback({ product: seed, other, vote, target });
        remember(key, vote);
        buttons.forEach((b) => b.setAttribute('aria-pressed', b.dataset.vote === vote ? 'true' : 'false'));
        toast(vote === 'down'
          ? `Thumbs down recorded: ${title || other} will no longer be suggested with this product.`
          : `Thumbs up recorded for ${title || other}.`);
        onVoted && onVoted(vote);
      } catch (err) {
        replace(status, errorBox(err, 'Feedback'));
        if (err.status === 401 || err.status === 403) status.append(tokenForm(() => button.click()));
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    },
  }, text);
  wrap.append(make('up', 'Thumbs up', [thumbIcon(false), ' Good']),
              make('down', 'Thumbs down', [thumbIcon(true), ' Bad']));
  return h('div', { class: 'vote-box' }, wrap, status);
}

// Material Design's thumb_up icon (Apache 2.0), flipped for thumbs down.
const THUMB = 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 '
  + '7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z';
function thumbIcon(down) {
  return s('svg', { class: 'thumb-icon', viewBox: '0 0 24 24', width: 14, height: 14, 'aria-hidden': 'true' },
    s('path', { d: THUMB, fill: 'currentColor', transform: down ? 'rotate(180 12 12)' : null }));
}

// The server was started with --token: ask for it once, keep it in this browser.
function tokenForm(retry) {
  const input = h('input', { type: 'password', placeholder: 'API token', 'aria-label': 'API token', value: getToken() });
  const form = h('form', { class: 'field-row token-form' }, input, h('button', { type: 'submit' }, 'Save token'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    form.remove();
    retry();
  });
  return form;
}
