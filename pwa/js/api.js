// JSON in and out of /api/v1, one error shape, and the staff session (tokens in localStorage).

const BASE = '/api/v1';
const KEY = { access: 'bd.access', refresh: 'bd.refresh', user: 'bd.user' };

export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export const session = {
  get access() { return localStorage.getItem(KEY.access); },
  get refresh() { return localStorage.getItem(KEY.refresh); },
  get user() {
    try { return JSON.parse(localStorage.getItem(KEY.user) || 'null'); } catch { return null; }
  },
  get loggedIn() { return Boolean(this.refresh); },
  save(tokens) {
    localStorage.setItem(KEY.access, tokens.access_token);
    localStorage.setItem(KEY.refresh, tokens.refresh_token);
    const user = { ...(tokens.user || this.user || {}), must_change_password: tokens.must_change_password };
    localStorage.setItem(KEY.user, JSON.stringify(user));
  },
  requirePasswordChange() {
    localStorage.setItem(KEY.user, JSON.stringify({ ...(this.user || {}), must_change_password: true }));
  },
  clear() { Object.values(KEY).forEach((k) => localStorage.removeItem(k)); },
};

// Called when the session has ended (refresh refused): the app sends the user to the login screen.
let onSessionEnd = () => {};
let onPasswordRequired = () => {};
export function setHandlers(handlers) {
  onSessionEnd = handlers.sessionEnd || onSessionEnd;
  onPasswordRequired = handlers.passwordRequired || onPasswordRequired;
}

// A Blob body goes as it is (a photo), with its own type and any extra headers; anything else as JSON.
async function send(method, path, body, token, extra = {}) {
  const raw = body instanceof Blob;
  const headers = { Accept: 'application/json', ...extra };
  if (body !== undefined) headers['Content-Type'] = raw ? body.type : 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(BASE + path, {
      method, headers, body: body === undefined || raw ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', '网络不可用，请检查网络后再试');
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* a proxy's HTML error page */ }
  if (res.ok) return data;
  const err = (data && data.error) || {};
  throw new ApiError(res.status, err.code || 'http_error',
    err.message || `请求未能完成（${res.status}）`, err.detail ?? null);
}

// One refresh at a time, across tabs too (a refresh token works once; using it twice ends the session).
let refreshing = null;
function refreshTokens(stale) {
  const run = async () => {
    if (session.refresh !== stale) return; // another tab or call has already rotated it
    session.save(await send('POST', '/auth/refresh', { refresh_token: stale }, null));
  };
  if (!refreshing) {
    refreshing = (navigator.locks ? navigator.locks.request('bd-refresh', run) : run())
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

function endSession(err) {
  // A network failure keeps the session: a grid worker offline for a day must not be logged out.
  if (err.status === 0) throw err;
  session.clear();
  onSessionEnd(err);
  throw err;
}

/** Public (no login) call. */
export function pub(method, path, body) {
  return send(method, path, body, null);
}

/** Staff call: refreshes the access token once on 401 token_invalid, then retries. */
export async function call(method, path, body, headers = {}) {
  const stale = session.refresh;
  try {
    return await send(method, path, body, session.access, headers);
  } catch (err) {
    if (err.status === 403 && err.code === 'password_change_required') {
      session.requirePasswordChange();
      onPasswordRequired();
    }
    if (err.status !== 401) throw err;
    if (err.code !== 'token_invalid' || !stale) return endSession(err);
    try {
      await refreshTokens(stale);
    } catch (refreshErr) {
      return endSession(refreshErr);
    }
    return send(method, path, body, session.access, headers);
  }
}

export async function login(mobile, password) {
  const tokens = await send('POST', '/auth/login', { mobile, password }, null);
  session.save(tokens);
  return tokens;
}

export async function changePassword(current, next) {
  const tokens = await call('POST', '/auth/password', { current_password: current, new_password: next });
  session.save(tokens);
  return tokens;
}

/** Revokes the session on the server when it can be reached; the local session ends either way. */
export async function logout() {
  const token = session.refresh;
  try {
    if (token) await call('POST', '/auth/logout', { refresh_token: session.refresh });
  } catch { /* offline or already ended: nothing left to revoke here */ }
  session.clear();
}

/** Field name -> message from a 422 `detail` list ({loc, msg, type}). */
export function fieldErrors(err) {
  const out = {};
  if (!err || !Array.isArray(err.detail)) return out;
  for (const item of err.detail) {
    const loc = Array.isArray(item.loc) ? item.loc : [];
    const name = loc.filter((p) => typeof p === 'string' && p !== 'body').pop();
    if (name && !out[name]) out[name] = fieldMessage(item);
  }
  return out;
}

const TYPE_MESSAGES = {
  missing: '必填',
  string_too_short: '内容太短',
  string_too_long: '内容太长',
  string_pattern_mismatch: '格式不正确',
  int_parsing: '请选择',
  enum: '请选择有效的选项',
  uuid_parsing: '编号格式不正确',
  datetime_from_date_parsing: '日期格式不正确',
};

function fieldMessage(item) {
  // Our own rule errors carry Chinese messages; pydantic's English ones are replaced by type.
  if (/[\u4e00-\u9fff]/.test(item.msg || '')) return item.msg;
  return TYPE_MESSAGES[item.type] || '输入有误';
}
