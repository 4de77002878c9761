// Logging in as a role, in one place.
//
// The authentication branch is not merged yet, so no login page exists and, like the JSON API, every page
// answers without one (with the provider-wide view). Until it lands this function only records which
// role a spec speaks for; when it lands, it fills the login form with the demo user of `role` (and its
// TOTP code where the role requires one) and waits for the dashboard, and the specs below it stay as
// they are.
"use strict";

/** The demo tenant customer roles belong to. */
const CUSTOMER_TENANT = "northbank";

/** Roles the specs speak for, with what each may reach. */
const ROLES = {
  "provider-security-lead": { tenant: null },
  "customer-compliance-officer": { tenant: CUSTOMER_TENANT },
};

/**
 * Logs `page` in as `role`.
 * @param {import('playwright-core').Page} page
 * @param {string} role
 */
async function loginAs(page, role) {
  if (!(role in ROLES)) {
    throw new Error(`no demo user for role ${role}`);
  }
  // No login exists yet on this branch: nothing to do.
  void page;
}

module.exports = { loginAs, ROLES, CUSTOMER_TENANT };
