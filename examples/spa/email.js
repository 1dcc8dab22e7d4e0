// Email ownership for the example SPA:
//   - the verification page: the server mails links to AUTH_VERIFY_URL with
//     `token=<token>` added to its query. Point AUTH_VERIFY_URL at this app
//     (e.g. http://localhost:5173/?api=http://localhost:8000&mode=cookie):
//     opened with ?token=..., the app posts the token to
//     POST /api/auth/email/verify/ and shows the result. No login is needed;
//     the token is taken out of the address bar at once.
//   - the account screen's "Email address" part: verified or not, a
//     "Resend link" button, the pending address of a change, and the form
//     that asks for a change (new address, current password, and a code
//     when two-factor is on).
// Loaded after app.js and mfa.js, whose helpers (call, authed, run,
// setStatus, withMFA, APIError, params) it uses.
"use strict";

// ---- Verification page ----

// takeVerifyToken reads the link's token and removes it from the address
// bar and the history, so a reload does not post a used token again and
// the token does not linger where others may see it.
function takeVerifyToken() {
  const token = params.get("token");
  if (!token) return "";
  const rest = new URLSearchParams(location.search);
  rest.delete("token");
  const q = rest.toString();
  history.replaceState(null, "", location.pathname + (q ? "?" + q : "") + location.hash);
  return token;
}

// showVerifyResult shows where the link stands: "checking", "verified" or
// "failed" (data-result, for the end-to-end test).
function showVerifyResult(text, result) {
  const p = $("verify-result");
  p.textContent = text;
  p.dataset.result = result;
  p.className = { failed: "notice error", verified: "notice ok" }[result] || "notice";
}

// verifyFromLink posts the token of the link the app was opened with.
async function verifyFromLink(token) {
  $("verify").hidden = false;
  showVerifyResult("Checking the link...", "checking");
  try {
    const u = await call("POST", "/api/auth/email/verify/", { body: { token } });
    $("verify-result").dataset.email = u.email;
    showVerifyResult(`Your email address ${u.email} is verified (account ${u.username}).`, "verified");
  } catch (e) {
    const body = e instanceof APIError && e.status === 400 && e.body ? e.body : {};
    if (body.email) {
      showVerifyResult("This address is already used by another account; the change was not made.", false);
    } else if (body.token) {
      showVerifyResult("This link is invalid or has expired (links work once). Log in and ask for a new one.", "failed");
    } else {
      showVerifyResult("The link could not be checked: " + e.message, "failed");
    }
  }
}

// ---- Account screen ----

// showEmail renders the address part of the own user (GET or PATCH
// /api/auth/profile/).
function showEmail(u) {
  const el = $("email-state");
  el.dataset.verified = String(!!u.email_verified);
  el.textContent = !u.email ? "no address" : u.email + (u.email_verified ? " (verified)" : " (not verified)");
  $("email-resend").hidden = !u.email || !!u.email_verified;
  const pending = u.pending_email || "";
  $("email-pending").dataset.email = pending;
  $("email-pending-address").textContent = pending;
  $("email-pending").hidden = !pending;
  $("email-resend").dataset.email = u.email || "";
}

async function resendLink() {
  const email = $("email-resend").dataset.email;
  const r = await call("POST", "/api/auth/email/verify/resend/", { body: { email } });
  setStatus(r.detail);
}

async function changeEmail() {
  const body = { email: $("email-new").value.trim(), current_password: $("email-password").value };
  const code = $("email-code").value.trim();
  if (code) body.code = code;
  const u = await withMFA(() => authed("PATCH", "/api/auth/profile/", body));
  clearEmailForm();
  await showProfile();
  if (u.pending_email) {
    setStatus(`A confirmation link was sent to ${u.pending_email}. Your address stays ${u.email || "empty"} until it is used.`);
  } else {
    setStatus("Your email address is now " + (u.email || "empty") + ".");
  }
}

function clearEmailForm() {
  for (const id of ["email-new", "email-password", "email-code"]) $(id).value = "";
}

// resetEmail forgets the address part of the screen (logout).
function resetEmail() {
  clearEmailForm();
  $("email-code-label").hidden = true;
  showEmail({ email: "", email_verified: false, pending_email: null });
}

// emailLoginRefusal words the login's 403 email_not_verified
// (AUTH_EMAIL_VERIFICATION=required); null for any other error.
function emailLoginRefusal(e) {
  if (!(e instanceof APIError) || e.status !== 403 || !e.body || e.body.code !== "email_not_verified") return null;
  return new Error("Your email address is not verified yet: open the link we mailed you.");
}

$("email-resend").onclick = () => run(resendLink);
$("email-change").onclick = () => run(changeEmail);
const verifyToken = takeVerifyToken();
if (verifyToken) run(() => verifyFromLink(verifyToken));
