import { createClient } from "@connectrpc/connect";
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckService } from "../../gen/sessionflow/v1/check_service_pb.js";
import { CheckType, Decision } from "../../gen/sessionflow/v1/risk_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { issueApiKey } from "../../src/domain/api-key.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { buildWeb, chromiumPath, createCutProxy, desktop, launchChromium, phone, seriousViolations, watchCsp, type CutProxy } from "../support/web-fixtures.js";

/**
 * The hosted page and the operator console in Debian's headless Chromium (playwright-core),
 * built with Vite and served by the service itself, reached through a relay the test can cut.
 * Every screen is checked with axe-core, and no page may report a Content-Security-Policy
 * violation. Without Chromium this file is skipped, and says so.
 */
describe.skipIf(!existsSync(chromiumPath))("the hosted page and console in headless Chromium", () => {
  let server: TestServer;
  let proxy: CutProxy;
  let browser: Browser;
  let web: Awaited<ReturnType<typeof buildWeb>>;
  let base = "";
  let consoleKey = "";
  const contexts: BrowserContext[] = [];
  const csp: string[] = [];

  beforeAll(async () => {
    web = await buildWeb();
    proxy = await createCutProxy(() => server.port);
    base = `http://127.0.0.1:${proxy.port}`;
    server = await startTestServer({ publicBaseUrl: base, webRoot: web.dir });
    const { secret, key } = issueApiKey("acme", ["console"], server.clock.now());
    await server.store.apiKeys.insert(key);
    consoleKey = secret;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await proxy?.close();
    await web?.remove();
  });

  const acme = () => transportFor("connect-json-h1", server.baseUrl, server.keys.acme);
  const sessions = () => createClient(SessionService, acme());
  async function open(kind: typeof phone | typeof desktop, url?: string): Promise<Page> {
    const context = await browser.newContext(kind);
    contexts.push(context);
    const page = await context.newPage();
    csp.push(...watchCsp(page));
    if (url) await page.goto(url);
    return page;
  }
  const accessible = async (page: Page) => expect(await seriousViolations(page)).toEqual([]);

  it("runs a link end to end on a phone: keyboard input, field errors, a lost connection that resumes, retries, a warning, the outcome", async () => {
    const { url, session } = await sessions().createSession({ workflow: "kyc-onboarding", market: "GB", reference: "phone" });
    expect(url.startsWith(`${base}/s/`)).toBe(true);
    const page = await open(phone, url);
    await page.getByRole("heading", { name: "About you" }).waitFor();
    await accessible(page);

    // Keyboard only: type, then Enter submits the step.
    await page.getByLabel("Full name").fill("Alice Liddell");
    await page.getByLabel("Date of birth").fill("1990-04-01");
    await page.getByLabel("Date of birth").press("Enter");
    await page.getByRole("heading", { name: "How we can reach you" }).waitFor();

    // The service refuses a bad email; the page says which field, and marks it.
    await page.getByLabel("Email").fill("alice-at-nowhere");
    await page.getByLabel("Email").press("Enter");
    await page.locator("#email-error").waitFor();
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Email").fill("alice@mailinator.com");
    await page.getByLabel("Phone, with country code").fill("+447700900123");
    await page.getByLabel("Phone, with country code").press("Enter");
    await page.getByRole("heading", { name: "Your address" }).waitFor();

    // The network goes away; a capture vendor reports a retry meanwhile; the page catches up without duplicates.
    proxy.cut();
    await page.getByTestId("connection").filter({ hasText: "Connection lost" }).waitFor();
    const checks = createClient(CheckService, acme());
    await checks.reportCheckResult({ sessionId: session!.id, type: CheckType.LIVENESS, score: 0.75, vendor: "sdk" });
    proxy.restore();
    await page.getByTestId("connection").filter({ hasText: "Reconnected" }).waitFor({ timeout: 10_000 });
    await page.getByTestId("notice").filter({ hasText: "take your selfie again (retry 1)" }).waitFor();
    expect(await page.locator("#events li", { hasText: "CHECK" }).count()).toBe(1);

    // The retry budget runs out: four more retries, then a failure.
    for (let i = 0; i < 5; i++) await checks.reportCheckResult({ sessionId: session!.id, type: CheckType.LIVENESS, score: 0.75, vendor: "sdk" });
    await page.getByTestId("notice").filter({ hasText: "used all your retries for the selfie" }).waitFor();

    await page.getByLabel("Street and number").fill("1 Rabbit Hole");
    await page.getByLabel("Town or city").fill("Oxford");
    await page.getByLabel("Postal code").fill("OX1 1AA");
    await page.getByLabel("Country code (for example GB)").fill("GB");
    await page.getByTestId("finish").click();
    await page.getByRole("heading", { name: "Before you go on" }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("screen").textContent()).toContain("temporary mailbox");
    await accessible(page);
    await page.getByRole("button", { name: "Proceed" }).click();
    await page.getByTestId("outcome").filter({ hasText: "Thank you, you are all done" }).waitFor({ timeout: 10_000 });
    await accessible(page);
    const final = await sessions().getSession({ sessionId: session!.id });
    expect(final.session!.identity).toMatchObject({ fullName: "Alice Liddell", email: "alice@mailinator.com", dateOfBirth: "1990-04-01" });
  }, 40_000);

  it("hands a session from a desktop to a phone with a QR code; the desktop follows and shows the outcome", async () => {
    const { url } = await sessions().createSession({ workflow: "kyc-onboarding", market: "GB", reference: "transfer" });
    const computer = await open(desktop, url);
    await computer.getByLabel("Full name").fill("Bob Stone");
    await computer.getByRole("button", { name: "Save and continue" }).first().click();
    await computer.getByRole("heading", { name: "How we can reach you" }).waitFor();
    await computer.getByRole("button", { name: "Continue on my phone" }).click();
    await computer.getByRole("heading", { name: "Continue on your phone" }).waitFor();
    expect(await computer.locator("#qr").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await accessible(computer);
    const childUrl = await computer.getByTestId("transfer-url").getAttribute("href");
    expect(childUrl).toMatch(new RegExp(`^${base}/s/`));

    const handset = await open(phone, childUrl!);
    await handset.getByTestId("resume").filter({ hasText: "You already completed: name" }).waitFor();
    await handset.getByRole("heading", { name: "How we can reach you" }).waitFor();
    await computer.locator("#handoff-status").filter({ hasText: "Your phone opened the link" }).waitFor();
    await handset.getByLabel("Email").fill("bob.stone@example.com");
    await handset.getByLabel("Phone, with country code").fill("+447700900456");
    await handset.getByRole("button", { name: "Save and continue" }).click();
    await handset.getByLabel("Street and number").fill("2 High Street");
    await handset.getByTestId("finish").click();
    await handset.getByRole("heading", { name: "All done on this device" }).waitFor();
    await computer.getByTestId("outcome").filter({ hasText: "Thank you" }).waitFor({ timeout: 10_000 });
  }, 30_000);

  it("runs the console: find a session, watch it live, recover its link, review, change thresholds, chart metrics", async () => {
    const { url, session } = await sessions().createSession({ workflow: "loan-signup", market: "DE", reference: "console" });
    const sessionId = session!.id;
    const review = await createClient(SubmissionService, acme()).submit({
      workflow: "kyc",
      market: "GB",
      identity: { fullName: "Carol Singer", email: "carol.singer@yopmail.com" },
      complete: true,
    });
    expect(review.session!.decision!.decision).toBe(Decision.REVIEW);

    const ops = await open(desktop, `${base}/console`);
    await ops.getByRole("heading", { name: "Sign in" }).waitFor();
    await accessible(ops);
    // A client token (or anything that is not an API key) is refused before it is sent.
    await ops.getByLabel("API key").fill("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
    await ops.getByLabel("API key").press("Enter");
    await ops.getByText("That is not an API key").waitFor();
    await ops.getByLabel("API key").fill(consoleKey);
    await ops.getByLabel("API key").press("Enter");
    await ops.getByRole("heading", { name: "Sessions" }).waitFor();
    expect(ops.url()).not.toContain(consoleKey);
    expect(await ops.evaluate(() => sessionStorage.getItem("sessionflow-console-key"))).toBe(consoleKey);

    // Find it by workflow.
    await ops.getByLabel("Workflow").fill("loan-signup");
    await ops.getByRole("button", { name: "Apply filters" }).click();
    await ops.waitForURL(/workflow=loan-signup/);
    await ops.getByRole("link", { name: sessionId }).waitFor();
    expect(await ops.locator("tbody tr").count()).toBe(1);
    await accessible(ops);
    await ops.getByRole("link", { name: sessionId }).click();
    await ops.getByTestId("timeline").getByText("#1 OPENED").waitFor();
    await ops.getByTestId("chain").filter({ hasText: "Hash chain verified" }).waitFor();
    await accessible(ops);

    // The user, elsewhere, submits; the timeline shows it live.
    const user = await open(phone, url);
    await user.getByLabel("Full name").fill("Dan Brook");
    await user.getByLabel("Full name").press("Enter");
    await ops.getByTestId("timeline").getByText("SUBMISSION").first().waitFor({ timeout: 10_000 });
    await ops.getByRole("cell", { name: "/sessionflow.v1.SubmissionService/Submit" }).waitFor();

    // URL recovery: a new link; the old one stops working in the page, the new one resumes.
    await ops.getByRole("button", { name: "Issue a new link" }).click();
    const recovered = await ops.getByTestId("recovered-url").inputValue();
    expect(recovered).toMatch(new RegExp(`^${base}/s/`));
    expect(recovered).not.toBe(url);
    await user.goto(url);
    await user.getByTestId("problem").filter({ hasText: "This link no longer works" }).waitFor();
    await accessible(user);
    await user.goto(recovered);
    await user.getByRole("heading", { name: "How we can reach you" }).waitFor();

    // The review queue: a reason is required; approving takes the session out of the queue.
    await ops.getByRole("link", { name: "Review queue" }).click();
    await ops.getByTestId("review-item").first().waitFor();
    await accessible(ops);
    const item = ops.getByTestId("review-item").filter({ hasText: review.session!.id });
    await item.getByLabel(/^Reviewer/).fill("olga.operator");
    await item.getByRole("button", { name: "Approve" }).click();
    await item.getByText("Enter the reason for this decision.").waitFor();
    await item.getByLabel(/^Reason/).fill("Called the customer; the mailbox is theirs.");
    await item.getByRole("button", { name: "Approve" }).click();
    await ops.getByTestId("review-status").filter({ hasText: "approved" }).waitFor();
    const reviewed = await sessions().getSession({ sessionId: review.session!.id });
    expect(reviewed.session!.decision).toMatchObject({ decision: Decision.APPROVE, reviewer: "olga.operator", reviewReason: "Called the customer; the mailbox is theirs." });

    // Thresholds: a change needs a reason; it becomes version 1, listed in the history.
    await ops.getByRole("link", { name: "Thresholds" }).click();
    await ops.getByText("Editing version 0.").waitFor();
    await accessible(ops);
    await ops.getByLabel(/^Liveness/).fill("0.7");
    await ops.getByRole("button", { name: "Save thresholds" }).click();
    await ops.getByText("Enter the reason for this change.").waitFor();
    await ops.getByLabel(/^Reason for the change/).fill("Older phone cameras in DE");
    await ops.getByRole("button", { name: "Save thresholds" }).click();
    await ops.getByTestId("thresholds-status").filter({ hasText: "Saved as version 1" }).waitFor();
    await ops.getByText("Editing version 1.").waitFor();
    await ops.getByRole("cell", { name: "Older phone cameras in DE" }).waitFor();
    const config = await createClient(ConfigurationService, acme()).getThresholds({});
    expect(config.config).toMatchObject({ version: 1n, reason: "Older phone cameras in DE", values: { liveness: 0.7 } });
    // A market's override, keeping the tenant's values.
    await ops.getByLabel(/^Market override/).fill("de");
    await ops.getByLabel(/^Market override/).press("Enter");
    await ops.getByRole("heading", { name: "Edit the DE override" }).waitFor();
    await ops.getByLabel(/^Document/).fill("0.65");
    await ops.getByLabel(/^Reason for the change/).fill("Older identity cards in DE");
    await ops.getByRole("button", { name: "Save thresholds" }).click();
    await ops.getByTestId("thresholds-status").filter({ hasText: "Saved as version 2" }).waitFor();
    const de = await createClient(ConfigurationService, acme()).getThresholds({ market: "DE" });
    expect(de.config).toMatchObject({ version: 2n, values: { liveness: 0.7 }, marketOverrides: { DE: { document: 0.65 } } });
    expect(de.effective).toMatchObject({ liveness: 0.7, document: 0.65 });

    // Metrics: the range around the test clock's day; charts drawn, the revision marked.
    await ops.goto(`${base}/console#/metrics?range=7d&end=2026-03-03`);
    await ops.getByRole("heading", { name: "Rates over time" }).waitFor();
    await ops.getByText("thresholds revisions (v1, v2)").waitFor();
    for (const id of ["rates-chart", "markets-chart", "checks-chart"]) {
      const drawn = await ops.getByTestId(id).evaluate((c: HTMLCanvasElement) => {
        const pixels = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
        let ink = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) ink++;
        return ink;
      });
      expect(drawn, id).toBeGreaterThan(500);
    }
    await accessible(ops);
  }, 45_000);

  it("says so when a link has expired", async () => {
    const { url } = await sessions().createSession({ workflow: "kyc-onboarding" });
    server.clock.advance(8 * 24 * 3600_000);
    const page = await open(phone, url);
    await page.getByTestId("problem").filter({ hasText: "This link has expired" }).waitFor();
    await accessible(page);
  });

  it("reported no Content-Security-Policy violation on any page", () => {
    expect(csp).toEqual([]);
  });
});
