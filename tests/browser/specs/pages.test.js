// Each role reaches its main pages, each page has no serious or critical axe-core violation, and the
// keyboard reaches the main navigation from the top of every page (skip link first).
"use strict";

const { describe, before, after, test } = require("node:test");
const assert = require("node:assert/strict");
const { loginAs, ROLES } = require("../login.js");
const { openBrowser, seriousViolations, withPage } = require("../browser.js");

/** The main pages of a role; `{tenant}` is the role's tenant, or northbank for provider roles. */
function mainPages(tenant) {
  const t = tenant || "northbank";
  return [
    "/",
    "/controls",
    "/controls/IAM-01",
    "/frameworks",
    "/frameworks/iso27001-2022",
    "/services",
    "/services/defaults",
    tenant ? null : "/tenants",
    `/tenants/${t}`,
    `/tenants/${t}/profile`,
    `/tenants/${t}/matrix`,
    `/tenants/${t}/matrix/IAM-01`,
    `/tenants/${t}/frameworks/iso27001-2022`,
    `/tenants/${t}/soa`,
    `/tenants/${t}/evidence`,
    `/tenants/${t}/evidence/new`,
  ].filter(Boolean);
}

for (const [role, { tenant }] of Object.entries(ROLES)) {
  describe(`as ${role}`, () => {
    let browser;
    before(async () => {
      browser = await openBrowser();
      await withPage(browser.context, `${role}-login`, (page) => loginAs(page, role));
    });
    after(async () => {
      await browser.close();
    });

    for (const path of mainPages(tenant)) {
      test(`${path} renders and has no serious accessibility violation`, async () => {
        await withPage(browser.context, `${role}${path}`, async (page) => {
          const response = await page.goto(path);
          assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
          assert.equal(await page.locator("h1").count(), 1);
          assert.deepEqual(await seriousViolations(page), []);
        });
      });
    }

    if (tenant) {
      test("another tenant's pages answer 404 and the tenant list holds only its own", async () => {
        await withPage(browser.context, `${role}-foreign`, async (page) => {
          await page.goto("/tenants");
          const listed = await page.locator("main").textContent();
          assert.ok(!listed.includes("brightpath"), "another tenant is listed");
          for (const path of ["/tenants/brightpath", "/tenants/brightpath/matrix", "/tenants/brightpath/evidence"]) {
            const response = await page.goto(path);
            assert.equal(response.status(), 404, `${path} answered ${response.status()}`);
          }
        });
      });
    }

    test("an evidence record page renders and has no serious accessibility violation", async () => {
      await withPage(browser.context, `${role}-evidence-record`, async (page) => {
        await page.goto(`/tenants/${tenant || "northbank"}/evidence`);
        await page.locator("#results tbody th a").first().click();
        await page.waitForURL(/\/evidence\/[^/]+$/);
        assert.equal(await page.locator("h2", { hasText: "Versions" }).count(), 1);
        assert.deepEqual(await seriousViolations(page), []);
      });
    });

    test("the keyboard reaches the skip link first and then the main navigation", async () => {
      await withPage(browser.context, `${role}-keyboard`, async (page) => {
        await page.goto("/controls");
        await page.keyboard.press("Tab");
        assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
        let reached = false;
        for (let i = 0; i < 5 && !reached; i += 1) {
          await page.keyboard.press("Tab");
          reached = await page.evaluate(() =>
            Boolean(document.activeElement.closest("nav[aria-label=Main]"))
          );
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
