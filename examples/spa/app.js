// authsvc example SPA: register, log in, show the profile, refresh the
// access token shortly before it expires (and retry a request once after a
// 401), log out, list and end sessions. mfa.js adds the second factor:
// the login's second step and the account security screen; email.js the
// email address (verification page, resend, a change waiting for its link).
//
// Two storage modes for the refresh token:
//   memory: the refresh token lives in a JavaScript variable only (never in
//           localStorage); a page reload logs out. An XSS bug could read it.
//   cookie: the server (AUTH_REFRESH_COOKIE=on) keeps it in an HttpOnly,
//           SameSite=Strict cookie scoped to /api/auth/; JavaScript never
//           sees it. Refresh and logout send the cookie with
//           `credentials: "include"` and the CSRF header. Recommended.
// The access token is kept in memory in both modes.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const state = {
  access: null,   // access JWT
  refresh: null,  // refresh JWT (memory mode only)
  exp: 0,         // access expiry, seconds since the epoch
  timer: null,
  refreshing: null,
  refreshes: 0,
  retries: 0,
  mfaToken: null, // between the password and the code of a two-factor login
};

function api() { return $("api").value.replace(/\/+$/, ""); }
function mode() { return $("mode").value; }

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

// claims decodes a JWT's payload (display and scheduling only; the server
// is the one that verifies).
function claims(jwt) {
  const b64 = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
}

class APIError extends Error {
  constructor(status, body) {
    super((body && (body.detail || JSON.stringify(body))) || "HTTP " + status);
    this.status = status;
    this.body = body;
  }
}

// call sends one request; cookie mode adds the credentials and the CSRF
// header on the token endpoints, where the refresh cookie is scoped.
async function call(method, path, { body, token, cookie } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = "Bearer " + token;
  const opts = { method, headers };
  if (cookie) {
    opts.credentials = "include";
    headers["X-Requested-With"] = "XMLHttpRequest";
  }
  if (body !== undefined) opts.body = JSON.stringify(body);
  const res = await fetch(api() + path, opts);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

function accept(pair) {
  state.access = pair.access;
  if (mode() === "memory") state.refresh = pair.refresh;
  const c = claims(pair.access);
  state.exp = c.exp;
  $("expires").textContent = new Date(c.exp * 1000).toLocaleTimeString();
  schedule(c);
}

// schedule refreshes a little before expiry: a quarter of the lifetime,
// between 1 and 60 seconds, early.
function schedule(c) {
  clearTimeout(state.timer);
  const lifetime = c.exp - c.iat;
  const margin = Math.min(60, Math.max(1, lifetime / 4));
  const delay = Math.max(0, (c.exp - margin) * 1000 - Date.now());
  state.timer = setTimeout(() => {
    refresh().then(() => { state.refreshes++; render(); })
      .catch((e) => setStatus("Silent refresh failed: " + e.message, true));
  }, delay);
}

// refresh rotates the pair; concurrent callers share one request, so the
// page never presents the same refresh token twice.
function refresh() {
  if (!state.refreshing) {
    const req = mode() === "cookie"
      ? call("POST", "/api/auth/token/refresh/", { cookie: true })
      : call("POST", "/api/auth/token/refresh/", { body: { refresh: state.refresh } });
    state.refreshing = req.then(accept).finally(() => { state.refreshing = null; });
  }
  return state.refreshing;
}

// authed calls a protected endpoint, refreshing and retrying once on 401.
async function authed(method, path, body) {
  try {
    return await call(method, path, { body, token: state.access });
  } catch (e) {
    if (!(e instanceof APIError) || e.status !== 401 || !state.access) throw e;
    await refresh();
    state.retries++;
    render();
    return call(method, path, { body, token: state.access });
  }
}

function render() {
  $("refreshes").textContent = String(state.refreshes);
  $("retries").textContent = String(state.retries);
  $("account").hidden = !state.access;
  $("auth").hidden = !!state.access || !!state.mfaToken;
  $("mfa-login").hidden = !!state.access || !state.mfaToken;
}

async function showProfile() {
  const u = await authed("GET", "/api/auth/profile/");
  const dl = $("profile");
  dl.replaceChildren();
  for (const k of ["id", "username", "email", "email_verified", "pending_email", "bio", "date_joined", "last_login"]) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = u[k] === null || u[k] === "" ? "-" : String(u[k]);
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  showEmail(u);
  setStatus("Logged in as " + u.username + ".");
}

async function showSessions() {
  const page = await authed("GET", "/api/auth/sessions/?page_size=100");
  const tbody = $("sessions");
  tbody.replaceChildren();
  for (const s of page.results) {
    const tr = document.createElement("tr");
    tr.className = s.current ? "current" : "";
    tr.dataset.session = s.id;
    for (const v of [s.created_at, s.last_used_at, s.user_agent, s.ip]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    const td = document.createElement("td");
    if (s.current) {
      td.textContent = "this session";
    } else {
      const b = document.createElement("button");
      b.textContent = "End";
      b.className = "end-session";
      b.onclick = () => run(async () => {
        await authed("DELETE", "/api/auth/sessions/" + encodeURIComponent(s.id) + "/");
        await showSessions();
      });
      td.append(b);
    }
    tr.append(td);
    tbody.append(tr);
  }
}

async function login() {
  const creds = { username: $("username").value, password: $("password").value };
  let pair;
  try {
    pair = await call("POST", "/api/auth/token/", { body: creds, cookie: mode() === "cookie" });
  } catch (e) {
    // With a second factor on, the right password earns no tokens yet, only
    // an mfa_token for the code step (mfa.js).
    if (e instanceof APIError && e.status === 403 && e.body && e.body.code === "mfa_required") {
      askSecondFactor(e.body.mfa_token);
      return;
    }
    throw emailLoginRefusal(e) || e;
  }
  await loggedIn(pair);
}

// loggedIn takes the pair of a finished login (password only, or password
// and code) and shows the account.
async function loggedIn(pair) {
  accept(pair);
  render();
  await showProfile();
  await showSessions();
  await showSecurity();
}

async function register() {
  const body = { username: $("username").value, password: $("password").value };
  // With an address the server mails a verification link (email.js takes it).
  const email = $("email").value.trim();
  if (email) body.email = email;
  await call("POST", "/api/auth/register/", { body });
  await login();
}

async function logout() {
  clearTimeout(state.timer);
  try {
    if (mode() === "cookie") await call("POST", "/api/auth/logout/", { cookie: true });
    else await call("POST", "/api/auth/logout/", { body: { refresh: state.refresh } });
  } finally {
    state.access = state.refresh = null;
    resetSecurity();
    resetEmail();
    render();
    setStatus("Logged out.");
  }
}

// run reports a failure in the status line instead of an unhandled rejection.
async function run(f) {
  try {
    await f();
  } catch (e) {
    const fields = e.body && !e.body.detail ? " " + JSON.stringify(e.body) : "";
    setStatus("Error: " + e.message + fields, true);
  }
}

$("api").value = params.get("api") || "http://localhost:8000";
$("mode").value = params.get("mode") === "cookie" ? "cookie" : "memory";
$("login").onclick = () => run(login);
$("register").onclick = () => run(register);
$("logout").onclick = () => run(logout);
$("reload").onclick = () => run(showProfile);
$("load-sessions").onclick = () => run(showSessions);
render();

// For the end-to-end test: read-only view of the token state.
window.authsvcExample = { state, claims };
