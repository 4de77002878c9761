// One third-party engagement end to end, in the browser, as the people who do each part: the provider
// admin enrols ravensberg (request, intake, NDA, activation), opens the engagement, sets its scope and
// assigns an assessor; the customer's compliance officer uploads evidence, downloads the questionnaire
// as XLSX, fills it in (citing the evidence) and uploads it back; the provider starts fieldwork; the
// assessor records a result with a sample drawn from a recorded seed. Every page passes axe-core.
//
// Runs after the page specs (run.sh), because it signs the provider admin in again after their first
// login there; the customer and the assessor are people no other spec logs in.
"use strict";

const { describe, before, after, test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { loginAs, signInAgain } = require("../login.js");
const { openBrowser, seriousViolations, withPage } = require("../browser.js");
const { readXlsx, writeXlsx } = require("../xlsx.js");

const TENANT = "ravensberg";
const ENGAGEMENT = "ravensberg-walkthrough";
const ADMIN = "admin@contour.example";
const OFFICER = "petra.lorenz@ravensberg.example";
const ASSESSOR = "eleanor.voss@harbour-assurance.example";
const SEED = "ravensberg-walkthrough-seed";

/** Clicks the button whose text is `text` inside <main> and waits for the page it leads to. */
async function press(page, text) {
  await Promise.all([page.waitForLoadState("load"), page.locator("main button", { hasText: text }).first().click()]);
}

async function accessible(page, what) {
  assert.deepEqual(await seriousViolations(page), [], `${what} has serious accessibility violations`);
}

describe("a third-party engagement end to end", () => {
  let provider;
  let customer;
  let assessor;
  let evidence;
  let controls = [];

  before(async () => {
    provider = await openBrowser();
    customer = await openBrowser();
    assessor = await openBrowser();
    await withPage(provider, "walkthrough-admin-login", (page) => signInAgain(page, ADMIN));
    await withPage(customer, "walkthrough-officer-login", (page) =>
      loginAs(page, "customer-compliance-officer", OFFICER)
    );
    await withPage(assessor, "walkthrough-assessor-login", (page) => loginAs(page, "assessor", ASSESSOR));
  });
  after(async () => {
    for (const b of [provider, customer, assessor]) {
      if (b) {
        await b.close();
      }
    }
  });

  test("the provider enrols the customer: request, intake, NDA, activation", async () => {
    await withPage(provider, "walkthrough-enrol", async (page) => {
      await page.goto("/engagements");
      await accessible(page, "/engagements");
      await page.selectOption("#enrol-tenant", TENANT);
      await press(page, "Record the enrolment request");
      await press(page, `Take the intake of ${TENANT} from its record`);
      await press(page, `Start intake for ${TENANT}`);
      await page.fill(`#nda-${TENANT}`, "2025-05-12");
      await press(page, `Record the NDA for ${TENANT}`);
      await press(page, `Activate for ${TENANT}`);
      const row = page.locator("main table tr", { has: page.locator("th", { hasText: TENANT }) }).first();
      assert.match(await row.textContent(), /active/);
      assert.match(await row.textContent(), /eligible/);
    });
  });

  test("the provider opens the engagement, scopes it and assigns an assessor", async () => {
    await withPage(provider, "walkthrough-open", async (page) => {
      await page.goto("/engagements");
      await page.fill("#new-id", ENGAGEMENT);
      await page.selectOption("#new-tenant", TENANT);
      await page.selectOption("#new-tier", "third-party-assessment");
      await page.selectOption("#period", "period");
      await page.fill("#start", "2026-01-01");
      await page.fill("#end", "2026-12-31");
      await press(page, "Open engagement");
      assert.equal(new URL(page.url()).pathname, `/engagements/${ENGAGEMENT}`);
      // The scope: ISO/IEC 27001 only, over the period.
      await page.fill("#frameworks", "iso27001-2022");
      await press(page, "Save the scope");
      assert.match(await page.locator("main").textContent(), /iso27001-2022/);
      await page.fill("#firm", "harbour-assurance");
      await page.fill("#assessors", ASSESSOR);
      await press(page, "Assign assessors");
      assert.match(await page.locator("main dl").first().textContent(), /eleanor\.voss/);
      await accessible(page, "the engagement page (provider)");
    });
  });

  test("the customer attaches evidence", async () => {
    await withPage(customer, "walkthrough-evidence", async (page) => {
      await page.goto(`/tenants/${TENANT}/evidence/new`);
      await page.selectOption("#kind", "policy");
      await page.fill("#title", "Information security policy 2026");
      await page.setInputFiles("#file", {
        name: "policy.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("Every change is reviewed by a second person.\n"),
      });
      await page.click("main form button[type=submit]");
      await page.waitForURL(
        (url) => url.pathname.startsWith(`/tenants/${TENANT}/evidence/`) && !url.pathname.endsWith("/new")
      );
      evidence = new URL(page.url()).pathname.split("/").pop();
      assert.ok(evidence, "the new record's id");
    });
  });

  test("the customer answers the questionnaire through an XLSX round trip", async () => {
    await withPage(customer, "walkthrough-questionnaire", async (page) => {
      await page.goto(`/engagements/${ENGAGEMENT}`);
      await accessible(page, "the engagement page (customer)");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-xlsx")]);
      const rows = readXlsx(fs.readFileSync(await download.path()));
      const header = rows[0];
      const col = (name) => {
        const i = header.indexOf(name);
        assert.ok(i >= 0, `the sheet has a ${name} column: ${header.join(", ")}`);
        return i;
      };
      const [control, answer, explanation, cited] = ["control", "answer", "explanation", "evidence"].map(col);
      const body = rows.slice(1).filter((r) => r[control]);
      assert.ok(body.length > 0, "one row per question");
      controls = body.map((r) => r[control]);
      for (const [i, r] of body.entries()) {
        r[answer] = i === 1 ? "partial" : "yes";
        r[explanation] = i === 1 ? "Rolled out to the head office; the branches follow in 2027." : "In place.";
        r[cited] = i === 0 ? evidence : "";
      }
      const filled = writeXlsx([header, ...body], "Questionnaire");
      await page.setInputFiles("#questionnaire-file", {
        name: "questionnaire.xlsx",
        mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        buffer: filled,
      });
      await press(page, "Upload answers");
      assert.equal(new URL(page.url()).pathname, `/engagements/${ENGAGEMENT}`, "the upload was accepted");
      const text = await page.locator("main").textContent();
      assert.match(text, new RegExp(`${body.length} of ${body.length} questions answered`));
      assert.match(text, /the branches follow in 2027/);
      assert.deepEqual(await page.locator("#cited-evidence a").allTextContents(), [evidence]);
    });
  });

  test("the provider starts fieldwork", async () => {
    await withPage(provider, "walkthrough-fieldwork", async (page) => {
      await page.goto(`/engagements/${ENGAGEMENT}`);
      await press(page, "start fieldwork");
      assert.equal((await page.locator("#engagement-state").textContent()).trim(), "fieldwork");
    });
  });

  test("the assessor records a result with a sample drawn from a recorded seed", async () => {
    await withPage(assessor, "walkthrough-test", async (page) => {
      await page.goto(`/engagements/${ENGAGEMENT}`);
      await accessible(page, "the engagement page (assessor)");
      await page.selectOption("#test-control", controls[0]);
      await page.selectOption("#test-method", "inspection");
      await page.selectOption("#test-result", "effective");
      await page.fill("#population_description", "changes approved in 2026");
      await page.fill("#population", "200");
      await page.fill("#size", "20");
      await page.fill("#seed", SEED);
      await page.fill("#test-evidence", evidence);
      await page.fill("#test-notes", "Twenty changes inspected; each had a second reviewer.");
      await press(page, "Record result");
      const row = page.locator("#test-results tbody tr").first();
      const cells = await row.locator("td").allTextContents();
      assert.equal((await row.locator("th").textContent()).trim(), controls[0]);
      assert.ok(cells.includes("effective"), cells.join(" | "));
      const sample = cells.find((c) => c.includes(`seed ${SEED}`));
      assert.ok(sample, `the sample names its seed: ${cells.join(" | ")}`);
      const items = sample.split(":").pop().split(",").map((s) => Number(s.trim()));
      assert.equal(items.length, 20, sample);
      assert.ok(items.every((n) => n >= 1 && n <= 200), sample);
      assert.ok(cells.some((c) => c.includes(evidence)), "the result cites the evidence");
    });
  });
});
