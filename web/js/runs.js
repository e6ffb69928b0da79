// Runs and lineage: the store's counts and the runs table (imports and stage executions, newest
// first). Click a run to see its statistics and its effective config.
import { h, $, replace, fmtCount, fmtTime, fmtDuration } from './dom.js';
import { api } from './api.js';
import { initPage, errorBox, notice, loading } from './ui.js';

initPage();

const statsRoot = $('#stats');
const runsRoot = $('#runs');

async function loadStats() {
  try {
    const st = await api.stats();
    const t = st.tables || {};
    const idx = st.index || {};
    const snap = st.snapshot || {};
    replace(statsRoot,
      h('div', { class: 'stat-cards', id: 'stat-cards' },
        Object.entries(t).map(([name, n]) => h('div', { class: 'stat' },
          h('div', { class: 'n' }, fmtCount(n)), h('div', { class: 'l' }, name))),
        h('div', { class: 'stat' }, h('div', { class: `n ${idx.status === 'ready' ? 'ok' : 'warn'}` }, idx.status || '–'),
          h('div', { class: 'l' }, `search index${idx.size !== undefined ? ` · ${fmtCount(idx.size)} vectors` : ''}`)),
        h('div', { class: 'stat' }, h('div', { class: 'n' }, snap.run_id ? `#${snap.run_id}` : '–'),
          h('div', { class: 'l' }, `serving data as of run · gen ${snap.generation ?? '–'}`))),
      idx.backend || idx.model || idx.reason ? h('p', { class: 'kv' },
        idx.backend ? h('span', null, 'index backend ', h('b', { class: 'mono' }, idx.backend)) : null,
        idx.model ? h('span', null, 'embedder ', h('b', { class: 'mono' }, idx.model)) : null,
        st.schema_version ? h('span', null, 'schema ', h('b', null, `v${st.schema_version}`)) : null,
        idx.reason ? h('span', { class: 'warn' }, idx.reason) : null) : null);
  } catch (e) {
    replace(statsRoot, errorBox(e, 'Loading the store statistics'));
  }
}

const COLUMNS = ['run', 'stage', 'status', 'started', 'took', 'backend', 'model', 'config', 'in', 'out', 'failed'];

async function loadRuns() {
  replace(runsRoot, loading('Loading runs…'));
  let data;
  try {
    data = await api.runs(200);
  } catch (e) {
    replace(runsRoot, errorBox(e, 'Loading runs'));
    return;
  }
  const runs = data.runs || [];
  if (runs.length === 0) {
    replace(runsRoot, notice('Nothing has run yet: import a catalog and run `ensemble run`.'));
    return;
  }
  const tbody = h('tbody', null);
  for (const r of runs) {
    const row = h('tr', { class: 'run-row', tabindex: '0', dataset: { run: r.id }, 'aria-expanded': 'false' },
      h('td', { class: 'mono' }, `#${r.id}`),
      h('td', { class: 'nowrap' }, h('b', null, r.stage)),
      h('td', null, h('span', { class: `badge status-${String(r.status).replace(/[^a-z]/g, '')}` }, r.status)),
      h('td', { class: 'mono nowrap' }, fmtTime(r.started_at)),
      h('td', { class: 'num' }, fmtDuration(r.started_at, r.finished_at)),
      h('td', { class: 'mono' }, r.backend || '–'),
      h('td', { class: 'mono' }, r.model_id || '–'),
      h('td', { class: 'mono', title: r.config_hash || '' }, r.config_hash ? r.config_hash.slice(0, 10) : '–'),
      h('td', { class: 'num' }, fmtCount(r.input_rows)),
      h('td', { class: 'num' }, fmtCount(r.output_rows)),
      h('td', { class: `num ${r.failed_rows ? 'warn' : ''}` }, fmtCount(r.failed_rows)));
    const toggle = () => toggleDetails(row, r);
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter') toggle(); });
    tbody.append(row);
    if (r.error) {
      tbody.append(h('tr', { class: 'details' }, h('td', { colspan: COLUMNS.length },
        h('span', { class: 'warn' }, `error: ${r.error}`))));
    }
  }
  replace(runsRoot, h('section', { class: 'panel' },
    h('div', { class: 'page-head' }, h('h2', null, `${runs.length} runs`), h('p', null, 'click a run for its statistics and config')),
    h('div', { style: 'overflow-x:auto' }, h('table', { class: 'data', id: 'runs-table' },
      h('thead', null, h('tr', null, COLUMNS.map((c, i) => h('th', { class: i === 4 || i >= 8 ? 'num' : null }, c)))),
      tbody))));
}

async function toggleDetails(row, run) {
  const next = row.nextElementSibling;
  if (next && next.classList.contains('run-details')) {
    next.remove();
    row.setAttribute('aria-expanded', 'false');
    return;
  }
  row.setAttribute('aria-expanded', 'true');
  const cell = h('td', { colspan: COLUMNS.length }, loading());
  row.after(h('tr', { class: 'details run-details' }, cell));
  let full = run;
  let configError = null;
  try {
    full = await api.run(run.id);
  } catch (e) {
    configError = e;
  }
  replace(cell, h('div', { class: 'details-grid' },
    h('div', null, h('h3', null, 'statistics'), h('pre', null, JSON.stringify(full.stats || {}, null, 2))),
    h('div', null, h('h3', null, 'effective config'),
      configError ? errorBox(configError, 'Loading the config')
                  : h('pre', null, full.config === undefined ? '(not recorded)'
                                   : typeof full.config === 'string' ? full.config : JSON.stringify(full.config, null, 2))),
    h('div', null, h('h3', null, 'lineage'), h('pre', null, [
      `run        #${run.id}`, `stage      ${run.stage}`, `status     ${run.status}`,
      `started    ${run.started_at || ''}`, `finished   ${run.finished_at || ''}`,
      `backend    ${run.backend || ''}`, `model      ${run.model_id || ''}`, `config     ${run.config_hash || ''}`,
    ].join('\n')))));
}

loadStats();
loadRuns();
