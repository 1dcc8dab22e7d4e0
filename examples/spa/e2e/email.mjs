// The email part of the SPA end-to-end test (spa.test.mjs runs it in both
// storage modes): register with an address, read the verification link
// from the server's mail outbox, open it in the browser (the app's
// verification page posts the token), see the address verified; then ask
// for a change, see it pending (the old address stays and is told), open
// the link sent to the new address, and see the change applied.
//
// The server runs without SMTP, so every mail is an .eml file in its
// outbox folder; AUTH_VERIFY_URL points at the app, so the links do too.
import fs from "node:fs";
import path from "node:path";

// decodeQP undoes quoted-printable (the mail bodies' transfer encoding).
function decodeQP(s) {
  return s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// messages answers the decoded mails in the outbox addressed to `to`.
function messages(outbox, to) {
  let names;
  try {
    names = fs.readdirSync(outbox);
  } catch (e) {
    if (e.code === "ENOENT") return []; // nothing sent yet
    throw e;
  }
  const out = [];
  for (const n of names.filter((n) => n.endsWith(".eml") && !n.startsWith("."))) {
    const raw = fs.readFileSync(path.join(outbox, n), "latin1");
    const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
    const rcpt = /^To: (.*)$/im.exec(head);
    if (rcpt && rcpt[1].toLowerCase().includes("<" + to.toLowerCase() + ">")) out.push(decodeQP(raw));
  }
  return out;
}

// linkIn answers the app link with a token in a mail's text part, or "".
function linkIn(spa, text) {
  const re = new RegExp(spa.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "/\\?[^\\s\"<>]*token=[^\\s\"<>]+");
  const m = re.exec(text);
  return m ? m[0] : "";
}

// waitForMail polls the outbox (the mail queue writes off the request
// path) until `to` has at least `n` messages passing `keep`.
async function waitForMail(outbox, to, n, keep) {
  const deadline = Date.now() + 15000;
  for (;;) {
    const got = messages(outbox, to).filter(keep);
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`FAIL: ${n} mail(s) to ${to} expected, ${got.length} in ${outbox}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusIs = (page, prefix) => page.waitForFunction(
  (p) => document.querySelector("#status").textContent.startsWith(p), prefix, { timeout: 10000 });

const field = (page, k) => page.textContent(`dd[data-field="${k}"]`);

// openLink opens a mailed link in another tab and waits for the verdict.
async function openLink(t, link) {
  const tab = await t.ctx.newPage();
  await tab.goto(link);
  await tab.waitForFunction(() => ["verified", "failed"].includes(document.querySelector("#verify-result").dataset.result),
    null, { timeout: 10000 });
  return tab;
}

async function verifyOnRegistration(t) {
  const { page, mode, check, outbox, spa } = t;
  await page.goto(`${spa}/?api=${encodeURIComponent(t.api)}&mode=${mode}`);
  check(!(await page.locator("#verify").isVisible()), `${mode}: without a token the verification page stays hidden`);
  await page.fill("#username", t.user);
  await page.fill("#password", t.password);
  await page.fill("#email", t.first);
  await page.click("#register");
  await statusIs(page, "Logged in as");
  check((await field(page, "email_verified")) === "false" && (await page.getAttribute("#email-state", "data-verified")) === "false",
    `${mode}: registered with an address; the account screen says not verified`);
  check(await page.locator("#email-resend").isVisible(), `${mode}: "Resend link" offered`);

  const withLink = (m) => linkIn(spa, m) !== "";
  await waitForMail(outbox, t.first, 1, withLink);
  await page.click("#email-resend");
  await statusIs(page, "If the address belongs to an account");
  const mails = await waitForMail(outbox, t.first, 2, withLink);
  const links = mails.map((m) => linkIn(spa, m));
  check(links[0] !== links[1], `${mode}: registration and "Resend link" each mailed a link to the app`);
  await t.shot("email-unverified");

  const tab = await openLink(t, links[1]);
  check((await tab.getAttribute("#verify-result", "data-result")) === "verified" &&
    (await tab.textContent("#verify-result")).includes(t.first), `${mode}: the opened link says the address is verified`);
  check(!tab.url().includes("token="), `${mode}: the token is taken out of the address bar`);
  await tab.screenshot({ path: path.join(t.artifacts, `${mode}-email-verified.png`), fullPage: true });
  await tab.goto(links[1]);
  await tab.waitForFunction(() => document.querySelector("#verify-result").dataset.result === "failed");
  check((await tab.textContent("#verify-result")).includes("invalid or has expired"), `${mode}: the same link a second time is refused`);
  await tab.close();

  await page.click("#reload");
  await page.waitForFunction(() => document.querySelector('dd[data-field="email_verified"]').textContent === "true");
  check(!(await page.locator("#email-resend").isVisible()), `${mode}: after a reload the account screen says verified, no resend`);
}

async function changeAddress(t) {
  const { page, mode, check, outbox, spa } = t;
  await page.fill("#email-new", t.second);
  await page.click("#email-change");
  await statusIs(page, "Error:");
  check((await page.textContent("#status")).includes("current_password"), `${mode}: a change without the password is refused (400 current_password)`);

  await page.fill("#email-new", t.second);
  await page.fill("#email-password", t.password);
  await page.click("#email-change");
  await statusIs(page, "A confirmation link was sent to " + t.second);
  check(await page.locator("#email-code-label").isHidden(), `${mode}: no code field while two-factor is off`);
  check((await page.getAttribute("#email-pending", "data-email")) === t.second && (await field(page, "email")) === t.first,
    `${mode}: the new address is pending; the old one stays until the link is used`);
  await t.shot("email-pending");

  // The old address is told at once; the notice carries no link token.
  await waitForMail(outbox, t.first, 1, (m) => linkIn(spa, m) === "" && !m.includes("token="));
  check(true, `${mode}: the old address got a notice without a token`);
  const [mail] = await waitForMail(outbox, t.second, 1, (m) => linkIn(spa, m) !== "");
  const tab = await openLink(t, linkIn(spa, mail));
  check((await tab.getAttribute("#verify-result", "data-email")) === t.second, `${mode}: the new address's link applies the change`);
  await tab.close();

  await page.click("#reload");
  await page.waitForFunction((a) => document.querySelector('dd[data-field="email"]').textContent === a, t.second);
  check((await page.locator("#email-pending").isHidden()) && (await field(page, "pending_email")) === "-" &&
    (await page.getAttribute("#email-state", "data-verified")) === "true",
  `${mode}: the account screen shows the new address, verified, nothing pending`);
  await t.shot("email-changed");
}

export async function emailScenario(browser, { mode, spa, api, outbox, artifacts, check }) {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 1500 } });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") console.log(`[${mode} email console] ${m.text()}`); });
  const stamp = `${mode}_${Date.now()}`;
  const t = {
    ctx, page, mode, check, api, spa, outbox, artifacts,
    user: `spa_mail_${stamp}`,
    password: "Spa-mail-pw-" + Math.random().toString(36).slice(2),
    first: `first_${stamp}@example.com`,
    second: `second_${stamp}@example.com`,
    shot: (name) => page.screenshot({ path: path.join(artifacts, `${mode}-${name}.png`), fullPage: true }),
  };
  await verifyOnRegistration(t);
  await changeAddress(t);
  await ctx.close();
}
