// The pages' API client: JSON over fetch, the signed-in session, problems as errors.
// The session lives in sessionStorage: it ends with the tab, and no other site reads it.

const KEY = "ticketing.session";
export const CATEGORIES = ["concert", "theatre", "sport", "festival", "comedy", "conference", "other"];

export class ApiError extends Error {
  // An RFC 9457 problem from the API (or a network failure, status 0).
  constructor(problem, status) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
    this.code = problem.code || "error";
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function save(value) {
  sessionStorage.setItem(KEY, JSON.stringify(value));
}

export function signOut() {
  const current = session();
  sessionStorage.removeItem(KEY);
  if (current?.refresh_token) {
    // Revoke the refresh token; the page does not wait for it.
    request("/v1/auth/logout", { method: "POST", body: { refresh_token: current.refresh_token }, auth: false })
      .catch(() => {});
  }
}

export function hasRole(...roles) {
  const user = session()?.user;
  return Boolean(user && roles.some((role) => user.roles.includes(role)));
}

export async function signIn(email, password) {
  const tokens = await request("/v1/auth/login", { method: "POST", body: { email, password }, auth: false });
  save({ ...tokens });
  const user = await request("/v1/users/me");
  save({ ...tokens, user });
  return user;
}

let refreshing = null; // one refresh at a time, whatever the number of failed calls

async function refresh() {
  const current = session();
  if (!current?.refresh_token) return false;
  refreshing ??= request("/v1/auth/refresh", {
    method: "POST",
    body: { refresh_token: current.refresh_token },
    auth: false,
  })
    .then((tokens) => {
      save({ ...current, ...tokens });
      return true;
    })
    .catch(() => {
      sessionStorage.removeItem(KEY);
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function request(path, { method = "GET", body, headers = {}, auth = true, retried = false } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const token = auth ? session()?.access_token : null;
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError({ title: "Network error", detail: String(error.message || error) }, 0);
  }
  // An access token lives minutes: renew it once with the refresh token, then retry.
  if (response.status === 401 && token && !retried && (await refresh())) {
    return request(path, { method, body, headers, auth, retried: true });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ title: response.statusText }));
  if (!response.ok) throw new ApiError(data, response.status);
  return data;
}

export function query(params) {
  // A query string without the empty values.
  const kept = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return kept.length ? `?${new URLSearchParams(kept)}` : "";
}

export function money(amount, currency) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount / 100);
}

export function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
