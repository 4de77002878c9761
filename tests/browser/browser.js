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

/** A browser context with its own fresh user-data-dir; `close()` removes the profile. */
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
    async close() {
      await context.close();
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
 * Runs `body(page)` in a new page and returns what it returns; on failure saves a full-page screenshot
 * named after `name` in SCREENSHOT_DIR (which run.sh empties before the specs, so it holds the failures
 * of the last run only), names the file in the error, then rethrows.
 */
async function withPage(context, name, body) {
  const page = await context.newPage();
  try {
    return await body(page);
  } catch (error) {
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9-]+/gi, "_")}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    error.message += `\n(screenshot: ${file})`;
    throw error;
  } finally {
    await page.close();
  }
}

module.exports = { BASE, openBrowser, seriousViolations, withPage };
