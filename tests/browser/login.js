// Logging in as a demo user, in one place: the password step (`demo-<email>`), the TOTP step for provider
// staff (the demo's deterministic secret: first 20 bytes of SHA-256("assure-demo-totp:" + email), RFC 6238
// with SHA-1, 6 digits, 30 s), and the password change every demo user must make at first login. Each spec
// file runs in its own process and logs in once per user, so users are not shared between spec files.
"use strict";

const crypto = require("node:crypto");

/** The demo tenant customer roles of the page specs belong to. */
const CUSTOMER_TENANT = "northbank";

/**
 * Every role of `Role::ALL` (crates/assure-domain/src/user.rs; `assure-cli/tests/browser.rs` checks that
 * none is missing), with the demo user the page specs log in as and the tenant a customer role belongs
 * to. Provider staff and oversight have the demo TOTP secret and pass the second factor.
 */
const ROLES = {
  "provider-admin": { user: "admin@contour.example", tenant: null },
  "provider-security-lead": { user: "security-lead@contour.example", tenant: null },
  "provider-dpo": { user: "dpo@contour.example", tenant: null },
  oversight: { user: "oversight@contour.example", tenant: null },
  "customer-compliance-officer": { user: "fiona.macleod@northbank.example", tenant: CUSTOMER_TENANT },
  "customer-viewer": { user: "audit.viewer@northbank.example", tenant: CUSTOMER_TENANT },
  "customer-dpo": { user: "dpo@northbank.example", tenant: CUSTOMER_TENANT },
  // Kwame Mensah has no engagement in the demo (Eleanor Voss is assigned to northbank's), so he reads no tenant.
  assessor: { user: "kwame.mensah@harbour-assurance.example", tenant: null },
};

/** The password a demo user is given at start, and the one the browser tests change it to. */
const demoPassword = (email) => `demo-${email}`;
const changedPassword = (email) => `browser-${email}-changed`;

/** The demo TOTP code of `email` at `at` (milliseconds). */
function demoTotp(email, at = Date.now()) {
  const key = crypto.createHash("sha256").update(`assure-demo-totp:${email}`).digest().subarray(0, 20);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = crypto.createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/**
 * Logs `page` in as the demo user `email` (default: the user of `role`), through every step the server
 * asks for, and waits for the dashboard. Returns the steps it went through, in order ("password",
 * "totp", "password-change").
 * @param {import('playwright-core').Page} page
 * @param {string} role
 * @param {string} [email]
 */
async function loginAs(page, role, email) {
  const user = email || (ROLES[role] && ROLES[role].user);
  if (!user) {
    throw new Error(`no demo user for role ${role}`);
  }
  const steps = ["password"];
  await page.goto("/login");
  await page.fill("#user", user);
  await page.fill("#password", demoPassword(user));
  await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
  if (new URL(page.url()).pathname === "/login/mfa") {
    steps.push("totp");
    await page.fill("#code", demoTotp(user));
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login/mfa'] button[type=submit]")]);
  }
  if (new URL(page.url()).pathname === "/account/password") {
    // Part-way through signing in no page may be used yet, so none is offered.
    if ((await page.locator("nav[aria-label=Main]").count()) !== 0) {
      throw new Error(`the password change due at ${user}'s first login shows the main navigation`);
    }
    steps.push("password-change");
    await page.fill("#current", demoPassword(user));
    await page.fill("#new", changedPassword(user));
    await page.fill("#confirm", changedPassword(user));
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/account/password'] button[type=submit]")]);
  }
  const landed = new URL(page.url()).pathname;
  if (landed.startsWith("/login") || landed.startsWith("/account/")) {
    throw new Error(`logging in as ${user} stopped at ${landed}`);
  }
  return steps;
}

/**
 * Logs `page` in as `email` whether or not an earlier spec already made its first login: the changed
 * password is tried first, then the demo one (a new password is chosen when due). A TOTP code refused
 * because its 30-second step was already used (another spec logged the same person in moments ago) is
 * retried with the next step's code. For specs that run after the page specs (see run.sh).
 * @param {import('playwright-core').Page} page
 * @param {string} email
 */
async function signInAgain(page, email) {
  for (const password of [changedPassword(email), demoPassword(email)]) {
    await page.goto("/login");
    await page.fill("#user", email);
    await page.fill("#password", password);
    await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
    if (new URL(page.url()).pathname !== "/login") {
      break;
    }
  }
  for (let attempt = 0; attempt < 3 && new URL(page.url()).pathname === "/login/mfa"; attempt += 1) {
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, 30000 - (Date.now() % 30000) + 1000));
    }
    await page.fill("#code", demoTotp(email));
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login/mfa'] button[type=submit]")]);
  }
  if (new URL(page.url()).pathname === "/account/password") {
    await page.fill("#current", demoPassword(email));
    await page.fill("#new", changedPassword(email));
    await page.fill("#confirm", changedPassword(email));
    await Promise.all([page.waitForLoadState("load"), page.click("form[action='/account/password'] button[type=submit]")]);
  }
  const landed = new URL(page.url()).pathname;
  if (landed.startsWith("/login") || landed.startsWith("/account/")) {
    throw new Error(`signing in again as ${email} stopped at ${landed}`);
  }
}

module.exports = { loginAs, signInAgain, ROLES, CUSTOMER_TENANT, demoTotp };
