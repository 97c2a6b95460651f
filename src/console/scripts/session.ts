/**
 * Browser module `session.js`: the signed-in session (tenant, token, who), API calls with
 * the token, sign-in by AK/SK or login name, refresh before expiry, and sign-out. Any 401
 * ends the session and returns to sign-in with the reason.
 */
export const sessionJs = String.raw`
const storageKey = 'argus.session';
let current = load();
let refreshTimer;

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey) || 'null');
  } catch {
    return null;
  }
}

function save(next) {
  current = next;
  if (next) sessionStorage.setItem(storageKey, JSON.stringify(next));
  else sessionStorage.removeItem(storageKey);
  scheduleRefresh();
}

export function session() {
  return current;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.error_msg || 'Request failed with HTTP ' + status);
    this.status = status;
    this.code = body.error_code;
  }
}

async function request(method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['Access-Token'] = token;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error_msg: text };
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/** Calls the API as the signed-in tenant; {user_id} in the path is the tenant. */
export async function api(method, path, body) {
  if (!current) throw new ApiError(401, { error_msg: 'Not signed in' });
  const url = '/' + path.replace('{user_id}', encodeURIComponent(current.userId));
  try {
    return await request(method, url, body, current.token);
  } catch (error) {
    if (error.status === 401) endSession('Your session has ended: ' + error.message);
    throw error;
  }
}

export async function signInEnterprise(userId, ak, sk) {
  const path = '/v2/' + encodeURIComponent(userId) + '/enterprises/access-token';
  // A person signing in takes over from the oldest of the pair's 2 live tokens.
  const answer = await request('POST', path, { ak, sk, force_update: true });
  start({ kind: 'enterprise', userId, name: ak, role: 'ENTERPRISE_ADMIN' }, answer);
}

export async function signInUser(loginName, password) {
  const answer = await request('POST', '/v2/users/access-token', {
    login_name: loginName,
    password,
  });
  start({ kind: 'user', userId: answer.user_id, name: loginName, role: answer.role }, answer);
}

function start(who, answer) {
  const ttl = Number(answer.expire_time);
  save({ ...who, token: answer.access_token, expiresAt: Date.now() + ttl * 1000 });
  dispatchEvent(new CustomEvent('argus:signed-in'));
}

export function signOut() {
  endSession('');
}

function endSession(message) {
  if (!current) return;
  save(null);
  dispatchEvent(new CustomEvent('argus:signed-out', { detail: { message } }));
}

// Refresh at 80% of the token's life so a console left open keeps working.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!current) return;
  const left = current.expiresAt - Date.now();
  if (left <= 0) return endSession('Your session has expired: sign in again');
  refreshTimer = setTimeout(() => refresh().catch(() => {}),
    Math.min(Math.max(left * 0.8, 1000), 2 ** 31 - 1));
}

export async function refresh() {
  const answer = await api('POST', 'v2/{user_id}/enterprises/access-token/refresh');
  const ttl = Number(answer.expire_time);
  save({ ...current, token: answer.access_token, expiresAt: Date.now() + ttl * 1000 });
}

scheduleRefresh();
`;
