// htmx and the upload script only enhance: filters update the table in place (and the address), and
// the upload form shows progress, then opens the new record. Both work as plain HTML without them.
"use strict";

const { describe, before, after, test } = require("node:test");
const assert = require("node:assert/strict");
const { loginAs } = require("../login.js");

/** A customer of its own, so this file never logs in a user the page specs log in too. */
const TENANT = "brightpath";
const USER = "jonas.albrecht@brightpath.example";
const { openBrowser, withPage } = require("../browser.js");

describe("progressive enhancement", () => {
  let browser;
  before(async () => {
    browser = await openBrowser();
    await withPage(browser, "enhancement-login", (page) =>
      loginAs(page, "customer-compliance-officer", USER)
    );
  });
  after(async () => {
    await browser.close();
  });

  test("choosing a domain filters the controls table in place", async () => {
    await withPage(browser, "filter-controls", async (page) => {
      await page.goto("/controls");
      await page.selectOption("#domain", "CRY");
      await page.waitForURL(/domain=CRY/);
      const ids = await page.locator("#results tbody th a").allTextContents();
      assert.ok(ids.length > 0);
      assert.ok(ids.every((id) => id.startsWith("CRY-")), ids.join(", "));
    });
  });

  test("the upload form sends the file with progress and opens the new record", async () => {
    await withPage(browser, "upload-evidence", async (page) => {
      await page.goto(`/tenants/${TENANT}/evidence/new`);
      await page.selectOption("#kind", "policy");
      await page.fill("#title", "Browser-uploaded policy");
      await page.setInputFiles("#file", {
        name: "policy.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("Passwords of at least 14 characters.\n"),
      });
      // The upload form's own button: the header holds the logout button.
      await page.click("main form button[type=submit]");
      // The form itself is at .../evidence/new: wait for the record's address instead.
      await page.waitForURL(
        (url) =>
          url.pathname.startsWith(`/tenants/${TENANT}/evidence/`) &&
          !url.pathname.endsWith("/new")
      );
      assert.equal(await page.locator("h1").textContent(), "Browser-uploaded policy");
      assert.equal(await page.locator("progress").count(), 0, "the record page, not the form");
    });
  });

  test("the pages work without JavaScript", async () => {
    await withPage(browser, "no-js-filter", async (page) => {
      // The tab is shared with the other specs: scripts are blocked for this one only.
      await page.route("**/*.js*", (route) => route.abort());
      try {
        await page.goto("/controls");
        await page.selectOption("#domain", "IAM");
        await page.click("form.filters button[type=submit]");
        await page.waitForURL(/domain=IAM/);
        const ids = await page.locator("#results tbody th a").allTextContents();
        assert.ok(ids.length > 0 && ids.every((id) => id.startsWith("IAM-")), ids.join(", "));
      } finally {
        await page.unroute("**/*.js*");
      }
    });
  });
});
