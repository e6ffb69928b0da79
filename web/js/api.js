// The JSON API client (docs/API.md). Every failure becomes an ApiError carrying the server's
// {"error": {"code", "message"}} so pages can show it as it is.

const TOKEN_KEY = 'ensemble.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lasts for this page only */ }
}

async function request(path, { method = 'GET', json, form, signal } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;  // the browser sets the multipart boundary
  }
  const token = getToken();
  if (token && method !== 'GET') headers.Authorization = `Bearer ${token}`;

  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `The server cannot be reached (${e.message}).`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { /* not JSON: reported below */ }
  }
  if (!response.ok) {
    const err = data && data.error;
    throw new ApiError(response.status, err?.code || 'http_error',
                       err?.message || `${response.status} ${response.statusText}`);
  }
  if (data === null) throw new ApiError(response.status, 'bad_response', 'The server sent no JSON.');
  return data;
}

const enc = encodeURIComponent;

export const api = {
  searchText: (text, { k = 24, category } = {}) =>
    request('/api/search', { method: 'POST', json: { text, k, ...(category ? { category } : {}) } }),
  searchProduct: (product, { k = 24, category } = {}) =>
    request('/api/search', { method: 'POST', json: { product, k, ...(category ? { category } : {}) } }),
  searchImage: (file, { k = 24, category, text } = {}) => {
    const form = new FormData();
    form.append('image', file, file.name || 'photo');
    form.append('k', String(k));
    if (category) form.append('category', category);
    if (text) form.append('text', text);
    return request('/api/search', { method: 'POST', form });
  },
  complete: (file, { k = 5 } = {}) => {
    const form = new FormData();
    form.append('image', file, file.name || 'photo');
    form.append('k', String(k));
    return request('/api/complete', { method: 'POST', form });
  },
  product: (id) => request(`/api/products/${enc(id)}`),
  recommendations: (id, k = 20) => request(`/api/products/${enc(id)}/recommendations?k=${k}`),
  outfit: (id) => request(`/api/products/${enc(id)}/outfit`),
  productLookbooks: (id, k = 8) => request(`/api/products/${enc(id)}/lookbooks?k=${k}`),
  lookbooks: (offset = 0, limit = 50) => request(`/api/lookbooks?offset=${offset}&limit=${limit}`),
  lookbook: (id) => request(`/api/lookbooks/${enc(id)}`),
  feedback: (body) => request('/api/feedback', { method: 'POST', json: body }),
  stats: () => request('/api/stats'),
  runs: (limit = 50) => request(`/api/runs?limit=${limit}`),
  run: (id) => request(`/api/runs/${enc(id)}`),
};
