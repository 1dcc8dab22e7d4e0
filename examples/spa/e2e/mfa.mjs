// The two-factor part of the SPA end-to-end test (spa.test.mjs runs it in
// both storage modes): enrol from the page by reading the secret it shows,
// log in with a computed TOTP code, see a wrong code and a dead mfa_token
// refused, and use recovery codes for the step-up actions.
//
// A TOTP time step is accepted once per user, so each code comes from a step
// after the last one used (the server accepts one step of drift): no waiting
// for the clock.
import crypto from "node:crypto";
import path from "node:path";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Decode(s) {
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of s.replace(/[=\s]/g, "").toUpperCase()) {
    const i = B32.indexOf(ch);
    if (i < 0) throw new Error("not base32: " + ch);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// totp is RFC 6238 with SHA-1, 6 digits, for time step `step` (30 s units).
export function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac("sha1", base32Decode(secret)).update(msg).digest();
  const off = h[h.length - 1] & 0x0f;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, "0");
}

const nowStep = () => Math.floor(Date.now() / 30000);

// RFC 6238 appendix B (SHA-1, T=59 s), cut to 6 digits: proves the helper
// before it is trusted to judge the server.
function selfTest(check) {
  const rfc = Buffer.from("12345678901234567890").toString("hex");
  const secret = base32FromHex(rfc);
  check(totp(secret, 1) === "287082", "totp helper matches the RFC 6238 test vector");
}

function base32FromHex(hex) {
  let bits = "";
  for (const b of Buffer.from(hex, "hex")) bits += b.toString(2).padStart(8, "0");
  let s = "";
  for (let i = 0; i < bits.length; i += 5) s += B32[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return s;
}

// TOTP hands out codes for steps never used before for this user.
class TOTP {
  constructor(secret) { this.secret = secret; this.last = -1; }
  next() {
    const step = Math.max(this.last + 1, nowStep());
    this.last = step;
    return totp(this.secret, step);
  }
  // wrong is a code valid for none of the steps the server could accept.
  wrong() {
    const valid = new Set([-1, 0, 1, 2].map((d) => totp(this.secret, nowStep() + d)));
    let n = Number(totp(this.secret, nowStep()));
    let code;
    do { n = (n + 1) % 1e6; code = String(n).padStart(6, "0"); } while (valid.has(code));
    return code;
  }
}

const statusIs = (page, prefix, timeout = 10000) => page.waitForFunction(
  (p) => document.querySelector("#status").textContent.startsWith(p), prefix, { timeout });

// otherSession logs the user in from another client (what the app sends, so
// the cookie-mode login CSRF check passes) and shows it in the list.
async function otherSession(t) {
  const r = await fetch(t.api + "/api/auth/token/", { method: "POST",
    headers: { "Content-Type": "application/json", Origin: t.spa, "X-Requested-With": "XMLHttpRequest" },
    body: JSON.stringify({ username: t.user, password: t.password }) });
  t.check(r.ok, `${t.mode}: a second session from another client`);
  await t.page.click("#load-sessions");
  await t.page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 2);
}

async function enrol(t) {
  const { page, mode, password, check, shot } = t;
  await otherSession(t);
  await page.locator("#mfa-state", { hasText: "off" }).waitFor();
  check(await page.locator("#mfa-enable").isVisible(), `${mode}: security screen offers "Enable two-factor"`);
  await page.fill("#mfa-enable-password", password);
  await page.click("#mfa-start");
  const secretEl = page.getByTestId("mfa-secret");
  await page.waitForFunction(() => document.querySelector('[data-testid="mfa-secret"]').textContent.length > 0);
  const secret = (await secretEl.textContent()).trim();
  check(/^[A-Z2-7]{16,}$/.test(secret), `${mode}: the page shows the base32 secret`);
  await page.waitForFunction(() => document.querySelector("#mfa-qr").naturalWidth > 0);
  const src = await page.getAttribute("#mfa-qr", "src");
  check(src.startsWith("data:image/png;base64,"), `${mode}: the QR code is a PNG shown as an image`);
  await shot("mfa-enrol");

  const codes = new TOTP(secret);
  await page.fill("#mfa-confirm-code", codes.next());
  await page.click("#mfa-confirm");
  await page.waitForFunction(() => document.querySelectorAll("#recovery-codes li").length === 10);
  const recovery = await page.locator("#recovery-codes li").allTextContents();
  check(recovery.every((c) => /^[a-z2-7]{5}-[a-z2-7]{5}$/.test(c)), `${mode}: 10 recovery codes shown once`);
  check(await page.locator("#mfa-recovery .notice").isVisible(), `${mode}: with a note to store them`);
  await page.locator("#mfa-state", { hasText: "on" }).waitFor();
  check(!(await page.locator("#mfa-enrol").isVisible()) && (await secretEl.textContent()) === "",
    `${mode}: status says on; the secret is gone from the page`);
  await page.waitForFunction(() => document.querySelectorAll("#sessions tr").length === 1);
  check(true, `${mode}: the other session ended on confirmation and the list shows it`);
  check(await page.locator("#email-code-label").isVisible(), `${mode}: with the factor on, the email change form asks for a code`);
  await shot("mfa-recovery-codes");
  await page.click("#mfa-recovery-done");
  check(await page.locator("#recovery-codes li").count() === 0, `${mode}: recovery codes hidden after "stored"`);
  return { codes, recovery };
}

async function passwordStep(t) {
  await t.page.fill("#username", t.user);
  await t.page.fill("#password", t.password);
  await t.page.click("#login");
  await t.page.locator("#mfa-login").waitFor();
}

async function logout(page) {
  await page.click("#logout");
  await statusIs(page, "Logged out.");
}

async function secondStep(t, codes) {
  const { page, mode, check, shot } = t;
  await logout(page);
  await passwordStep(t);
  check(!(await page.locator("#auth").isVisible()), `${mode}: the right password leads to the code step`);
  await shot("mfa-login-step");

  await page.fill("#mfa-login-code", codes.wrong());
  await page.click("#mfa-login-submit");
  await statusIs(page, "Invalid authentication code");
  check(await page.locator("#mfa-login").isVisible() && !(await page.locator("#account").isVisible()),
    `${mode}: a wrong code is refused on the page and the code step stays`);
  await shot("mfa-wrong-code");

  // A dead mfa_token (here: one the server never issued) sends the user back
  // to the password step.
  await page.evaluate(() => { window.authsvcExample.state.mfaToken = "not-a-token"; });
  await page.fill("#mfa-login-code", codes.wrong());
  await page.click("#mfa-login-submit");
  await statusIs(page, "The login has expired");
  check(await page.locator("#auth").isVisible(), `${mode}: an invalid mfa_token goes back to the password step`);

  await passwordStep(t);
  await page.fill("#mfa-login-code", codes.next());
  await page.click("#mfa-login-submit");
  await statusIs(page, "Logged in as");
  await page.locator("#mfa-state", { hasText: "on" }).waitFor();
  const amr = await page.evaluate(() => window.authsvcExample.claims(window.authsvcExample.state.access).amr);
  check(Array.isArray(amr) && amr.includes("mfa"), `${mode}: logged in with the computed code; amr ${JSON.stringify(amr)}`);
  const refresh = await page.evaluate(() => window.authsvcExample.state.refresh);
  check(mode === "cookie" ? refresh === null : typeof refresh === "string",
    `${mode}: the code step keeps the refresh token like a password login`);
  // The refresh token (cookie or memory) the code step gave works: the next
  // silent refresh (3 s tokens) succeeds and keeps amr.
  const before = await page.evaluate(() => ({ n: window.authsvcExample.state.refreshes, access: window.authsvcExample.state.access }));
  await page.waitForFunction((b) => window.authsvcExample.state.refreshes > b.n &&
    window.authsvcExample.state.access !== b.access, before, { timeout: 15000 });
  const amr2 = await page.evaluate(() => window.authsvcExample.claims(window.authsvcExample.state.access).amr);
  check(JSON.stringify(amr2) === JSON.stringify(amr), `${mode}: a silent refresh after the code step works and keeps amr`);
}

async function stepUpAction(page, button, password, code) {
  await page.fill("#mfa-manage-password", password);
  await page.fill("#mfa-manage-code", code);
  await page.click(button);
}

async function stepUp(t, recovery) {
  const { page, mode, password, check } = t;
  await stepUpAction(page, "#mfa-disable", password, "");
  await statusIs(page, "Error: This action needs a code");
  check(true, `${mode}: disabling without a code is refused with a clear message (403 mfa_required)`);
  await stepUpAction(page, "#mfa-disable", password, "aaaaa-aaaaa");
  await statusIs(page, "Error: Invalid authentication code");
  check(await page.locator("#mfa-state", { hasText: "on" }).isVisible(), `${mode}: a wrong code is refused (403 mfa_invalid), still on`);

  // Recovery-code input ignores case and dashes.
  await stepUpAction(page, "#mfa-new-codes", password, recovery[0].toUpperCase().replace("-", ""));
  await statusIs(page, "New recovery codes");
  const fresh = await page.locator("#recovery-codes li").allTextContents();
  check(fresh.length === 10 && !fresh.includes(recovery[1]), `${mode}: a recovery code bought 10 new ones`);
  await stepUpAction(page, "#mfa-disable", password, recovery[1]);
  await statusIs(page, "Error: Invalid authentication code");
  check(true, `${mode}: an old recovery code is dead`);
  await stepUpAction(page, "#mfa-disable", password, fresh[0]);
  await statusIs(page, "Two-factor authentication is off.");
  await page.locator("#mfa-state", { hasText: "off" }).waitFor();
  check(true, `${mode}: disabled with a new recovery code`);
  await logout(page);
  await page.fill("#username", t.user);
  await page.fill("#password", password);
  await page.click("#login");
  await statusIs(page, "Logged in as");
  check(true, `${mode}: with two-factor off the password alone logs in again`);
}

export async function mfaScenario(browser, { mode, spa, api, artifacts, check }) {
  selfTest(check);
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 1300 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log(`[${mode} mfa console] ${m.text()}`); });
  const t = {
    page, mode, check, api, spa,
    user: `spa_mfa_${mode}_${Date.now()}`,
    password: "Spa-mfa-pw-" + Math.random().toString(36).slice(2),
    shot: (name) => page.screenshot({ path: path.join(artifacts, `${mode}-${name}.png`), fullPage: true }),
  };
  await page.goto(`${spa}/?api=${encodeURIComponent(api)}&mode=${mode}`);
  await page.fill("#username", t.user);
  await page.fill("#password", t.password);
  await page.click("#register");
  await statusIs(page, "Logged in as");
  const { codes, recovery } = await enrol(t);
  await secondStep(t, codes);
  await stepUp(t, recovery);
  await ctx.close();
}
