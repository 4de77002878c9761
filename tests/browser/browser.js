// Launches Debian's Chromium through playwright-core (never a downloaded browser) with a fresh profile,
// runs axe-core in a page, and keeps a screenshot when a test fails.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const BASE = process.env.ASSURE_URL || "http://127.0.0.1:8080";
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), "assure-browser-screenshots");
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * A browser with its own fresh user-data-dir and the one tab every spec of a describe block uses:
 * `close()` removes the profile. Specs reuse the tab the browser opened at launch rather than opening
 * new ones: Debian's Chromium, under the load of the parallel test suite, now and then refuses
 * `Target.createTarget` ("Failed to open a new tab"), and a browser that failed that way had to be
 * waited on until CI's deadline.
 */
async function openBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "assure-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    baseURL: BASE,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    page: context.pages()[0] || (await context.newPage()),
    async close() {
      // A browser that crashed may never answer the close: give up after 15 s rather than hang the run.
      await Promise.race([context.close(), new Promise((resolve) => setTimeout(resolve, 15000).unref())]);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Serious and critical axe-core violations of the page as it is now. */
async function seriousViolations(page) {
  // Evaluated through the DevTools protocol, so a page CSP without 'unsafe-inline' does not block it.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] })
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
}

/**
 * Runs `body(page)` in the browser's tab and returns what it returns; on failure saves a full-page
 * screenshot named after `name` in SCREENSHOT_DIR (which run.sh empties before the specs, so it holds the
 * failures of the last run only), names the file in the error, then rethrows. A tab that was closed (the
 * renderer crashed) is replaced first.
 */
async function withPage(browser, name, body) {
  if (browser.page.isClosed()) {
    browser.page = await browser.context.newPage();
  }
  const page = browser.page;
  try {
    return await body(page);
  } catch (error) {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9-]+/gi, "_")}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 10000 }).catch(() => {});
    error.message += `\n(screenshot: ${file})`;
    throw error;
  }
}

module.exports = { BASE, openBrowser, seriousViolations, withPage };
