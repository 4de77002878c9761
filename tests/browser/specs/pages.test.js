// Every demo role logs in once (with TOTP where its account requires it, changing its demo password),
// then: each page it may use answers 200 with one h1 and no serious or critical axe-core violation; the
// main navigation offers exactly the pages the role may open; no page links to one it may not open; the
// pages it may not use answer 404 (pages never reveal what exists) and the API refuses its writes with 403;
// the account pages carry the main navigation; the keyboard reaches the skip link first, then the
// navigation.
"use strict";

const { describe, before, after, test } = require("node:test");
const assert = require("node:assert/strict");
const { loginAs, ROLES } = require("../login.js");
const { openBrowser, seriousViolations, withPage } = require("../browser.js");

/** The tenant provider roles look at, and the one customers of the demo must never reach. */
const SOME_TENANT = "northbank";
const FOREIGN_TENANT = "brightpath";

/**
 * What each role may do in the web UI: the `Role x Action` matrix (crates/assure-domain/src/access.rs)
 * with tenant scoping. `tenants`: which tenants it reads ("all", its "own", or "none": an assessor with
 * no engagement); `edits`: whether it changes a tenant's profile and uploads evidence (EditTenant);
 * `totp`: whether its login asks for the second factor (provider staff and oversight); `imports`: whether
 * it imports catalogues and mappings (ImportContent); `engagements`: whether it reads engagements
 * (ReadEngagement). Every role reads the trust center (ReadTrustCenter).
 */
const MAY = {
  "provider-admin": { tenants: "all", edits: true, totp: true, imports: true, engagements: true, findings: true },
  "provider-security-lead": { tenants: "all", edits: true, totp: true, imports: true, engagements: true, findings: true },
  "provider-dpo": { tenants: "all", edits: false, totp: true, imports: false, engagements: false, findings: false },
  oversight: { tenants: "all", edits: false, totp: true, imports: false, engagements: true, findings: true },
  "customer-compliance-officer": { tenants: "own", edits: true, totp: false, imports: false, engagements: true, findings: true },
  "customer-viewer": { tenants: "own", edits: false, totp: false, imports: false, engagements: true, findings: true },
  "customer-dpo": { tenants: "own", edits: false, totp: false, imports: false, engagements: false, findings: false },
  assessor: { tenants: "none", edits: false, totp: false, imports: false, engagements: true, findings: true },
};

/** Pages of one tenant any reader of it may open. */
function tenantPages(t) {
  return [
    `/tenants/${t}`,
    `/tenants/${t}/matrix`,
    `/tenants/${t}/matrix/IAM-01`,
    `/tenants/${t}/frameworks/iso27001-2022`,
    `/tenants/${t}/soa`,
    `/tenants/${t}/evidence`,
  ];
}

/** Pages of one tenant only an editor (EditTenant) may open. */
function editPages(t) {
  return [`/tenants/${t}/profile`, `/tenants/${t}/evidence/new`];
}

/** The pages `role` may open, the pages it must not reach, and its main navigation. */
function expectations(role) {
  const { tenant } = ROLES[role];
  const may = MAY[role];
  const t = tenant || SOME_TENANT;
  const catalogue = ["/", "/controls", "/controls/IAM-01", "/frameworks", "/frameworks/iso27001-2022", "/services", "/services/defaults"];
  const account = ["/account", "/account/password", "/account/mfa"];
  const pages = [...catalogue, ...account];
  const refused = [];
  let nav = ["/", "/controls", "/frameworks", "/services"];
  if (may.tenants === "own") {
    pages.push(...tenantPages(t), "/notices");
    nav = nav.concat([`/tenants/${t}`, `/tenants/${t}/matrix`, `/tenants/${t}/evidence`, "/notices"]);
    refused.push(...tenantPages(FOREIGN_TENANT), ...editPages(FOREIGN_TENANT));
  } else {
    pages.push("/tenants");
    nav.push("/tenants");
    if (may.tenants === "all") {
      pages.push(...tenantPages(t));
    } else {
      refused.push(...tenantPages(t), ...editPages(t));
    }
  }
  if (may.tenants !== "none") {
    (may.edits ? pages : refused).push(...editPages(t));
  }
  // Readers of findings (ReadFinding) are the readers of engagements but the data-protection officers.
  if (may.findings) {
    pages.push("/findings");
    nav.push("/findings");
  } else {
    refused.push("/findings");
  }
  // Baseline stewards (EditCatalogue, ApproveBaseline) are the roles that import.
  if (may.imports) {
    pages.push("/imports", "/baseline");
    nav.push("/imports", "/baseline");
  } else {
    refused.push("/imports", "/baseline");
  }
  if (may.engagements) {
    pages.push("/engagements");
    nav.push("/engagements");
  } else {
    refused.push("/engagements");
  }
  pages.push("/trust");
  nav.push("/trust");
  return { t, pages, refused, nav };
}

/** Whether a link to `path` is one `role` must never be offered. */
function forbiddenLink(path, refused) {
  return refused.some((r) => path === r || path.startsWith(`${r}?`));
}

/** The session's CSRF token, from the logout form every signed-in page carries. */
async function csrfToken(page) {
  return page.locator("form[action='/logout'] input[name=csrf_token]").first().getAttribute("value");
}

/** `fetch` from inside the page (same origin, the session cookie rides along); returns status and body. */
async function inPageFetch(page, path, init) {
  return page.evaluate(
    async ({ path, init }) => {
      const r = await fetch(path, init);
      return { status: r.status, body: await r.text() };
    },
    { path, init }
  );
}

test("every role of the matrix has a demo login and an expectation", () => {
  assert.deepEqual(Object.keys(MAY).sort(), Object.keys(ROLES).sort());
});

for (const role of Object.keys(ROLES)) {
  const { t, pages, refused, nav } = expectations(role);
  const may = MAY[role];

  describe(`as ${role}`, () => {
    let browser;
    let steps = [];
    before(async () => {
      browser = await openBrowser();
      steps = await withPage(browser, `${role}-login`, (page) => loginAs(page, role));
    });
    after(async () => {
      await browser.close();
    });

    test(`the login asks for ${may.totp ? "a TOTP code" : "no second factor"} and a new password`, () => {
      assert.deepEqual(steps, may.totp ? ["password", "totp", "password-change"] : ["password", "password-change"]);
    });

    test("the main navigation offers exactly the pages the role may open", async () => {
      await withPage(browser, `${role}-nav`, async (page) => {
        await page.goto("/");
        const hrefs = await page.locator("nav[aria-label=Main] a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
        assert.deepEqual(hrefs, nav);
        assert.equal(await page.locator("header a#account-link").getAttribute("href"), "/account");
      });
    });

    for (const path of pages) {
      test(`${path} renders, links to nothing refused, and has no serious accessibility violation`, async () => {
        await withPage(browser, `${role}${path}`, async (page) => {
          const response = await page.goto(path);
          assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
          assert.equal(await page.locator("h1").count(), 1);
          assert.equal(await page.locator("nav[aria-label=Main]").count(), 1, "the main navigation is there");
          const targets = await page.evaluate(() =>
            [...document.querySelectorAll("a[href], form[action]")].map((e) => {
              const url = new URL(e.getAttribute("href") || e.getAttribute("action"), location.href);
              return url.origin === location.origin ? url.pathname : null;
            })
          );
          const offered = targets.filter((p) => p && forbiddenLink(p, refused));
          assert.deepEqual(offered, [], `${path} links to pages the role may not open`);
          assert.deepEqual(await seriousViolations(page), []);
        });
      });
    }

    if (refused.length > 0) {
      test("the pages the role may not use answer 404", async () => {
        await withPage(browser, `${role}-refused`, async (page) => {
          for (const path of refused) {
            const response = await page.goto(path);
            assert.equal(response.status(), 404, `${path} answered ${response.status()}`);
          }
        });
      });
    }

    if (may.tenants !== "all") {
      test("the tenant list holds only the tenants the role may read", async () => {
        await withPage(browser, `${role}-tenant-list`, async (page) => {
          await page.goto("/tenants");
          const listed = await page.locator("main a[href^='/tenants/']").evaluateAll((as) =>
            [...new Set(as.map((a) => a.getAttribute("href").split("/")[2]))]
          );
          assert.deepEqual(listed, may.tenants === "own" ? [t] : []);
          const api = await inPageFetch(page, "/api/v1/tenants");
          assert.equal(api.status, 200);
          assert.deepEqual(JSON.parse(api.body).items.map((x) => x.id), may.tenants === "own" ? [t] : []);
        });
      });
    }

    if (!may.edits) {
      test("its writes are refused: the profile form post answers 404, the API 403", async () => {
        await withPage(browser, `${role}-writes`, async (page) => {
          await page.goto("/");
          const csrf = await csrfToken(page);
          assert.ok(csrf, "signed-in pages carry the session's CSRF token");
          const form = await inPageFetch(page, `/tenants/${t}/profile`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: `csrf_token=${encodeURIComponent(csrf)}`,
          });
          assert.equal(form.status, 404, "the profile form post");
          const api = await inPageFetch(page, `/api/v1/tenants/${t}/profile`, {
            method: "PUT",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: JSON.stringify({ services: [], regions: [], frameworks: [] }),
          });
          assert.equal(api.status, 403, `the API profile write answered ${api.status}: ${api.body}`);
        });
      });
    } else {
      test("its writes reach the handler: the API checks the body of its profile write", async () => {
        await withPage(browser, `${role}-writes`, async (page) => {
          await page.goto("/");
          const csrf = await csrfToken(page);
          const api = await inPageFetch(page, `/api/v1/tenants/${t}/profile`, {
            method: "PUT",
            headers: { "content-type": "application/json", "x-csrf-token": csrf },
            body: "not json",
          });
          assert.equal(api.status, 400, `the API profile write answered ${api.status}: ${api.body}`);
        });
      });
    }

    if (may.tenants !== "none") {
      test("an evidence record page renders and has no serious accessibility violation", async () => {
        await withPage(browser, `${role}-evidence-record`, async (page) => {
          await page.goto(`/tenants/${t}/evidence`);
          await page.locator("#results tbody th a").first().click();
          await page.waitForURL(/\/evidence\/[^/]+$/);
          assert.equal(await page.locator("h2", { hasText: "Versions" }).count(), 1);
          assert.equal(
            await page.locator("a[href*='/evidence/new']").count(),
            may.edits ? 1 : 0,
            "the upload link is offered exactly to editors"
          );
          assert.deepEqual(await seriousViolations(page), []);
        });
      });
    }

    test("the keyboard reaches the skip link first and then the main navigation", async () => {
      await withPage(browser, `${role}-keyboard`, async (page) => {
        await page.goto("/controls");
        await page.keyboard.press("Tab");
        assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
        let reached = false;
        for (let i = 0; i < 5 && !reached; i += 1) {
          await page.keyboard.press("Tab");
          reached = await page.evaluate(() => Boolean(document.activeElement.closest("nav[aria-label=Main]")));
        }
        assert.ok(reached, "Tab reaches a main navigation link within a few presses");
        // The skip link moves focus past the navigation to the main content.
        await page.goto("/controls");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Enter");
        await page.keyboard.press("Tab");
        const inMain = await page.evaluate(() => Boolean(document.activeElement.closest("main")));
        assert.ok(inMain, "after the skip link, Tab moves within the main content");
      });
    });
  });
}
