// Second factor for the example SPA (TOTP and recovery codes):
//   - the login's second step: after POST /api/auth/token/ answers
//     403 mfa_required, the code goes to POST /api/auth/token/mfa/ with the
//     short-lived mfa_token; its 200 is the same pair (or, in cookie mode,
//     the same cookie) as a password-only login;
//   - the "Account security" screen: status, enrolment (QR code, secret,
//     first code, recovery codes shown once), new recovery codes, disabling.
// Loaded after app.js, whose helpers (call, authed, run, state, render,
// setStatus, loggedIn) it uses.
"use strict";

// explainMFA turns the API's second-factor refusals into plain words. The
// step-up endpoints answer 403 (not 401, so the page keeps its tokens); the
// login's code step answers 401.
function explainMFA(e) {
  const code = e instanceof APIError && e.body ? e.body.code : "";
  if (code === "mfa_required") {
    return new Error("This action needs a code from your authenticator app (or a recovery code).");
  }
  if (code === "mfa_invalid") {
    return new Error("Invalid authentication code: it is wrong or was already used.");
  }
  return e;
}

async function withMFA(f) {
  try {
    return await f();
  } catch (e) {
    throw explainMFA(e);
  }
}

// ---- Login, second step ----

function askSecondFactor(mfaToken) {
  state.mfaToken = mfaToken;
  $("mfa-login-code").value = "";
  render();
  $("mfa-login-code").focus();
  setStatus("Password accepted. Enter your two-factor code.");
}

async function submitSecondFactor() {
  const body = { mfa_token: state.mfaToken, code: $("mfa-login-code").value.trim() };
  let pair;
  try {
    pair = await call("POST", "/api/auth/token/mfa/", { body, cookie: mode() === "cookie" });
  } catch (e) {
    const code = e instanceof APIError && e.status === 401 && e.body ? e.body.code : "";
    if (code === "mfa_invalid") {
      // The same mfa_token takes a few more tries.
      $("mfa-login-code").value = "";
      $("mfa-login-code").focus();
      setStatus("Invalid authentication code. Try again, or use a recovery code.", true);
      return;
    }
    if (code === "mfa_token_invalid") {
      // Expired (5 minutes), used, or too many wrong codes: the password
      // has to be proved again.
      cancelSecondFactor();
      setStatus("The login has expired. Enter your password again.", true);
      return;
    }
    throw e;
  }
  state.mfaToken = null;
  $("mfa-login-code").value = "";
  await loggedIn(pair);
}

function cancelSecondFactor() {
  state.mfaToken = null;
  $("mfa-login-code").value = "";
  render();
  setStatus("Not logged in.");
}

// ---- Account security ----

async function showSecurity() {
  const s = await authed("GET", "/api/auth/mfa/");
  $("mfa-state").textContent = s.totp ? "on" : "off";
  $("mfa-state").dataset.totp = String(s.totp);
  $("mfa-codes-left").textContent = String(s.recovery_codes_left);
  $("mfa-enable").hidden = s.totp;
  $("mfa-manage").hidden = !s.totp;
  // An email change needs a code too once the factor is on (email.js).
  $("email-code-label").hidden = !s.totp;
  if (s.totp) hideEnrolment();
}

// hideEnrolment also drops the secret from the page once it is not needed.
function hideEnrolment() {
  $("mfa-enrol").hidden = true;
  $("mfa-secret").textContent = "";
  $("mfa-qr").removeAttribute("src");
  $("mfa-uri").setAttribute("href", "#");
  $("mfa-confirm-code").value = "";
}

async function startEnrolment() {
  let r;
  try {
    r = await authed("POST", "/api/auth/mfa/totp/", { password: $("mfa-enable-password").value });
  } catch (e) {
    if (e instanceof APIError && e.status === 409) await showSecurity(); // already on
    throw e;
  }
  $("mfa-enable-password").value = "";
  // The API is another origin: only a PNG data URL goes into the page.
  if (!String(r.qr_png).startsWith("data:image/png;base64,")) throw new Error("unexpected QR code format");
  $("mfa-qr").src = r.qr_png;
  $("mfa-secret").textContent = r.secret;
  if (String(r.otpauth_uri).startsWith("otpauth://")) $("mfa-uri").href = r.otpauth_uri;
  $("mfa-enrol").hidden = false;
  $("mfa-confirm-code").focus();
  setStatus("Scan the QR code (or type in the secret), then enter the first code from the app.");
}

async function confirmEnrolment() {
  const body = { code: $("mfa-confirm-code").value.trim() };
  const r = await withMFA(() => authed("POST", "/api/auth/mfa/totp/confirm/", body));
  hideEnrolment();
  showRecoveryCodes(r.recovery_codes);
  await showSecurity();
  await showSessions(); // the server ended every other session
  setStatus("Two-factor authentication is on. Your other sessions were logged out.");
}

function showRecoveryCodes(codes) {
  const ol = $("recovery-codes");
  ol.replaceChildren();
  for (const c of codes) {
    const li = document.createElement("li");
    li.textContent = c;
    ol.append(li);
  }
  $("mfa-recovery").hidden = false;
}

function hideRecoveryCodes() {
  $("recovery-codes").replaceChildren();
  $("mfa-recovery").hidden = true;
}

// stepUpBody is the password and, if typed, the code; without a code the
// server answers 403 mfa_required, which explainMFA words.
function stepUpBody() {
  const body = { password: $("mfa-manage-password").value };
  const code = $("mfa-manage-code").value.trim();
  if (code) body.code = code;
  return body;
}

function clearStepUp() {
  $("mfa-manage-password").value = "";
  $("mfa-manage-code").value = "";
}

async function disableTOTP() {
  await withMFA(() => authed("DELETE", "/api/auth/mfa/totp/", stepUpBody()));
  clearStepUp();
  hideRecoveryCodes();
  await showSecurity();
  setStatus("Two-factor authentication is off.");
}

async function newRecoveryCodes() {
  const r = await withMFA(() => authed("POST", "/api/auth/mfa/recovery-codes/", stepUpBody()));
  clearStepUp();
  showRecoveryCodes(r.recovery_codes);
  await showSecurity();
  setStatus("New recovery codes. The old ones no longer work.");
}

// resetSecurity forgets everything shown on the screen (logout).
function resetSecurity() {
  hideEnrolment();
  hideRecoveryCodes();
  clearStepUp();
  $("mfa-enable-password").value = "";
  $("mfa-state").textContent = "-";
  $("mfa-state").dataset.totp = "";
  $("mfa-codes-left").textContent = "-";
}

$("mfa-login-submit").onclick = () => run(submitSecondFactor);
$("mfa-login-code").onkeydown = (e) => { if (e.key === "Enter") run(submitSecondFactor); };
$("mfa-login-cancel").onclick = cancelSecondFactor;
$("mfa-start").onclick = () => run(startEnrolment);
$("mfa-confirm").onclick = () => run(confirmEnrolment);
$("mfa-recovery-done").onclick = hideRecoveryCodes;
$("mfa-disable").onclick = () => run(disableTOTP);
$("mfa-new-codes").onclick = () => run(newRecoveryCodes);
