// End-to-end test of examples/spa in headless Chromium, in both refresh
// token storage modes. It starts the real server binary (AUTHSVC_BIN) twice,
// once per mode, with a 3 s access-token lifetime, and the SPA's static
// server (SPA_SERVE_BIN) on another port, so CORS and the cookie are real.
// Every wait is on UI or network state, never a fixed sleep. mfa.mjs adds
// the second factor (enrolment, the login's code step, step-up); email.mjs
// email verification and an address change, with the links read from the
// server's mail outbox.
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mfaScenario } from "./mfa.mjs";
import { emailScenario } from "./email.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const artifacts = path.join(root, "artifacts", "spa");
const BIN = process.env.AUTHSVC_BIN;
const SERVE = process.env.SPA_SERVE_BIN;
if (!BIN || !SERVE) throw new Error("set AUTHSVC_BIN and SPA_SERVE_BIN (scripts/ci/browser.sh does)");

const children = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGTERM")));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function start(name, cmd, args, env) {
  const log = fs.createWriteStream(path.join(artifacts, name + ".log"));
  const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  c.stdout.pipe(log);
  c.stderr.pipe(log);
  c.on("exit", (code) => { if (code !== null && code !== 0) console.error(`${name} exited with ${code}`); });
  children.push(c);
  return c;
}

async function waitFor(url, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${what} did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// startAPI starts a server for one mode; it answers the API's URL and its
// mail outbox folder (no SMTP configured: mails are .eml files there).
async function startAPI(mode, spaOrigin) {
  const port = await freePort();
  const url = "http://127.0.0.1:" + port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "authsvc-spa-"));
  start("api-" + mode, BIN, ["serve"], {
    AUTH_ADDR: "127.0.0.1:" + port,
    AUTH_DATA_DIR: path.join(dir, "data"),
    // Verification links open the app, which posts their token (email.js).
    AUTH_VERIFY_URL: `${spaOrigin}/?api=${encodeURIComponent(url)}&mode=${mode}`,
    AUTH_DATABASE_URL: "sqlite://" + path.join(dir, "auth.db"),
    AUTH_ACCESS_TTL: "3s",
    AUTH_CORS_ORIGINS: spaOrigin,
    AUTH_REFRESH_COOKIE: mode === "cookie" ? "on" : "off",
    AUTH_COOKIE_INSECURE: "on", // plain http on 127.0.0.1
  });
  await waitFor(url + "/healthz", "api " + mode);
  return { api: url, outbox: path.join(dir, "data", "outbox") };
}

function check(cond, msg) {
  if (!cond) throw new Error("FAIL: " + msg);
  console.log("ok - " + msg);
}

async function scenario(browser, mode, spa, api) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log(`[${mode} console] ${m.text()}`); });
  const status = page.locator("#status");
  const user = `spa_${mode}_${Date.now()}`;
  const password = "Spa-example-pw-" + Math.random().toString(36).slice(2);

  await page.goto(`${spa}/?api=${encodeURIComponent(api)}&mode=${mode}`);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("#register");
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Logged in as"), null, { timeout: 10000 });
  check((await page.textContent('dd[data-field="username"]')) === user, `${mode}: profile shows ${user}`);
  await page.locator("#sessions tr.current").waitFor();
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${mode}-logged-in.png`), fullPage: true });

  const first = await page.evaluate(() => {
    const s = window.authsvcExample.state;
    return { access: s.access, refresh: s.refresh, exp: s.exp };
  });
  if (mode === "cookie") check(first.refresh === null, "cookie: the refresh token never reaches JavaScript");
  else check(typeof first.refresh === "string" && first.refresh.length > 0, "memory: refresh token held in memory");

  // Wait through the first access token's expiry; the page must have
  // refreshed silently before it.
  await page.waitForFunction((exp) => Date.now() / 1000 > exp + 0.5 &&
    Number(document.querySelector("#refreshes").textContent) >= 1, first.exp, { timeout: 20000 });
  const expired = await page.evaluate(async ([api, tok]) =>
    (await fetch(api + "/api/auth/profile/", { headers: { Authorization: "Bearer " + tok } })).status, [api, first.access]);
  check(expired === 401, `${mode}: the first access token has expired (401)`);
  await page.click("#reload");
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Logged in as"));
  const now = await page.evaluate(() => window.authsvcExample.state.access);
  check(now !== first.access, `${mode}: silent refresh replaced the access token and the profile still loads`);

  // A 401 on a request triggers one refresh and one retry.
  await page.evaluate((old) => { window.authsvcExample.state.access = old; }, first.access);
  await page.click("#reload");
  await page.waitForFunction(() => Number(document.querySelector("#retries").textContent) >= 1, null, { timeout: 10000 });
  await page.waitForFunction(() => document.querySelector("#status").textContent.startsWith("Logged in as"));
  check(true, `${mode}: a 401 was retried once after a refresh`);

  // A second session (the same app on another device), listed and ended
  // from the page. It sends what the app sends: in cookie mode a login must
  // come from an allowed Origin with X-Requested-With (login CSRF).
  const other = await fetch(api + "/api/auth/token/", { method: "POST",
    headers: { "Content-Type": "application/json", Origin: spa, "X-Requested-With": "XMLHttpRequest" },
    body: JSON.stringify({ username: user, password }) });
  check(other.ok, `${mode}: second login from another client`);
  await page.click("#load-sessions");
  await page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 2);
  await page.click("#sessions .end-session");
  await page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 1);
  check(true, `${mode}: listed two sessions and ended the other one`);

  const last = await page.evaluate(() => ({ ...window.authsvcExample.state }));
  await page.click("#logout");
  await page.waitForFunction(() => document.querySelector("#status").textContent === "Logged out.");
  check(await page.locator("#auth").isVisible(), `${mode}: back to the login form`);
  const after = await page.evaluate(async ([api, tok]) =>
    (await fetch(api + "/api/auth/profile/", { headers: { Authorization: "Bearer " + tok } })).status, [api, last.access]);
  check(after === 401, `${mode}: the last access token is refused after logout (${after})`);
  const refreshAfter = await page.evaluate(async ([api, mode, refresh]) => {
    const opts = { method: "POST", headers: { "X-Requested-With": "XMLHttpRequest" } };
    if (mode === "cookie") opts.credentials = "include";
    else { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify({ refresh }); }
    return (await fetch(api + "/api/auth/token/refresh/", opts)).status;
  }, [api, mode, last.refresh]);
  check(refreshAfter >= 400, `${mode}: refresh is refused after logout (${refreshAfter})`);
  await ctx.close();
}

fs.mkdirSync(artifacts, { recursive: true });
const spaPort = await freePort();
const spa = "http://127.0.0.1:" + spaPort;
start("spa-serve", SERVE, ["-addr", "127.0.0.1:" + spaPort, "-dir", path.join(root, "examples", "spa")], {});
await waitFor(spa + "/index.html", "spa server");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let failed = false;
try {
  for (const mode of ["memory", "cookie"]) {
    const { api, outbox } = await startAPI(mode, spa);
    await scenario(browser, mode, spa, api);
    await mfaScenario(browser, { mode, spa, api, artifacts, check });
    await emailScenario(browser, { mode, spa, api, outbox, artifacts, check });
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  children.forEach((c) => c.kill("SIGTERM"));
}
if (failed) process.exit(1);
console.log("spa e2e: all passed; screenshots in " + artifacts);
