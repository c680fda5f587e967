import { createClient } from "@connectrpc/connect";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { AcknowledgementService } from "../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { Acknowledgement } from "../gen/sessionflow/v1/lifecycle_pb.js";
import { CheckService } from "../gen/sessionflow/v1/check_service_pb.js";
import { ConfigurationService } from "../gen/sessionflow/v1/configuration_service_pb.js";
import { CheckType } from "../gen/sessionflow/v1/risk_pb.js";
import { SessionService } from "../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";
import { issueApiKey } from "../src/domain/api-key.js";
import { transportFor } from "../test/support/clients.js";
import { startTestServer, type TestServer } from "../test/support/test-server.js";
import { buildWeb, createCutProxy, desktop, launchChromium, phone, repoRoot } from "../test/support/web-fixtures.js";

/**
 * `npm run screenshots`: builds the page and the console, starts a service with a week of demo
 * sessions on a manual clock, and saves a PNG of each screen into docs/screenshots/, for the
 * README. Deterministic apart from generated ids and tokens.
 */
const out = join(repoRoot, "docs/screenshots");
const day = 86_400_000;

async function main() {
  await mkdir(out, { recursive: true });
  const web = await buildWeb();
  let server: TestServer | undefined;
  const proxy = await createCutProxy(() => server!.port);
  const base = `http://127.0.0.1:${proxy.port}`;
  server = await startTestServer({ publicBaseUrl: base, webRoot: web.dir, lifetimes: { submissionSeconds: 600 } });
  const browser = await launchChromium();
  try {
    const { secret, key } = issueApiKey("acme", ["console"], server.clock.now());
    await server.store.apiKeys.insert(key);
    const featured = await seed(server);
    await pageScreens(browser, server, proxy, base);
    await consoleScreens(browser, base, secret, featured);
  } finally {
    await browser.close();
    await server.close();
    await proxy.close();
    await web.remove();
  }
  process.stdout.write(`screenshots written to ${out}\n`);
}

/** A week of sessions in three markets: approvals, reviews, declines, retries and abandonments, and two thresholds revisions. */
async function seed(server: TestServer): Promise<string> {
  const transport = transportFor("connect-json-h1", server.baseUrl, server.keys.acme);
  const submit = createClient(SubmissionService, transport);
  const checks = createClient(CheckService, transport);
  const config = createClient(ConfigurationService, transport);
  const acks = createClient(AcknowledgementService, transport);
  const start = new Date("2026-03-02T08:00:00Z").getTime();
  const markets = ["GB", "DE", "HU"] as const;
  let featured = "";
  for (let d = 0; d < 7; d++) {
    for (const [m, market] of markets.entries()) {
      server.clock.set(new Date(start + d * day + m * 3_600_000));
      // A deterministic mix that drifts over the week and differs by market.
      const mix = { approve: 3 + ((d + m) % 3), review: 1 + ((d * 2 + m) % 2), decline: (d + 2 * m) % 3, retry: 1 + ((d + m) % 2), abandon: (d * m) % 3 };
      for (let i = 0; i < mix.approve; i++) {
        await submit.submit({ workflow: "bank-signup", market, identity: { fullName: `Ann Example${i}`, email: `ann.example${i}@example.com` }, device: { userAgent: "Mozilla/5.0" }, complete: true });
      }
      for (let i = 0; i < mix.review; i++) {
        const s = await submit.submit({ workflow: "bank-signup", market, identity: { fullName: "Carol Singer", email: `carol.singer${d}${i}@yopmail.com` }, complete: true });
        // The user proceeds past the disposable-mailbox warning; the session then waits for a reviewer.
        for (const screen of (await acks.listWarningScreens({ sessionId: s.session!.id })).warningScreens) {
          await acks.acknowledge({ sessionId: s.session!.id, screenId: screen.id, acknowledgement: Acknowledgement.PROCEED });
        }
      }
      for (let i = 0; i < mix.decline; i++) {
        const s = await submit.submit({ workflow: "kyc-onboarding", market, identity: { fullName: "Dave Doe" }, step: "capture" });
        await checks.reportCheckResult({ sessionId: s.session!.id, type: i % 2 ? CheckType.DOCUMENT : CheckType.LIVENESS, score: 0.3, vendor: "capture-sdk" });
        await submit.submit({ sessionId: s.session!.id, workflow: "kyc-onboarding", step: "review", complete: true });
      }
      for (let i = 0; i < mix.retry; i++) {
        const s = await submit.submit({ workflow: "kyc-onboarding", market, identity: { fullName: "Erin Example", email: "erin.example@example.com" }, step: "capture" });
        await checks.reportCheckResult({ sessionId: s.session!.id, type: CheckType.LIVENESS, score: 0.75, vendor: "capture-sdk" });
        await checks.reportCheckResult({ sessionId: s.session!.id, type: CheckType.LIVENESS, score: 0.92, vendor: "capture-sdk" });
        await checks.reportCheckResult({ sessionId: s.session!.id, type: CheckType.FACE_MATCH, score: 0.9, vendor: "capture-sdk" });
        await submit.submit({ sessionId: s.session!.id, workflow: "kyc-onboarding", step: "review", complete: true });
        if (d === 6 && market === "GB") featured = s.session!.id;
      }
      for (let i = 0; i < mix.abandon; i++) {
        await submit.submit({ workflow: "bank-signup", market, identity: { fullName: "Frank Gone" }, step: "name" });
      }
    }
    server.clock.set(new Date(start + d * day + 12 * 3_600_000));
    await server.app.sweep();
    if (d === 2) await config.updateThresholds({ expectedVersion: 0n, reason: "Older document cameras in HU: loosen document checks", values: { document: 0.7 } });
    if (d === 4) await config.updateThresholds({ expectedVersion: 1n, reason: "Fewer forced retries after the SDK upgrade", values: { document: 0.7, retryBand: 0.05 } });
  }
  server.clock.set(new Date(start + 6 * day + 10 * 3_600_000));
  return featured;
}

async function shot(page: Page, name: string, fullPage = false) {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage });
}

async function pageScreens(browser: Browser, server: TestServer, proxy: Awaited<ReturnType<typeof createCutProxy>>, base: string) {
  const sessions = createClient(SessionService, transportFor("connect-json-h1", server.baseUrl, server.keys.acme));
  const { url } = await sessions.createSession({ workflow: "kyc-onboarding", market: "GB", reference: "demo" });
  const page = await (await browser.newContext(phone)).newPage();
  await page.goto(url);
  await page.getByLabel("Full name").fill("Alice Liddell");
  await page.getByLabel("Date of birth").fill("1990-04-01");
  await shot(page, "page-step");
  await page.getByLabel("Date of birth").press("Enter");
  await page.getByLabel("Email").fill("alice@mailinator.com");
  await page.getByLabel("Phone, with country code").fill("+447700900123");
  await page.getByLabel("Phone, with country code").press("Enter");
  await page.getByRole("heading", { name: "Your address" }).waitFor();
  proxy.cut();
  await page.getByTestId("connection").filter({ hasText: "Connection lost" }).waitFor();
  await shot(page, "page-lost-connection");
  proxy.restore();
  await page.getByTestId("connection").filter({ hasText: "Reconnected" }).waitFor({ timeout: 10_000 });
  await page.getByLabel("Street and number").fill("1 Rabbit Hole");
  await page.getByLabel("Town or city").fill("Oxford");
  await page.getByTestId("finish").click();
  await page.getByRole("heading", { name: "Before you go on" }).waitFor();
  await shot(page, "page-warning");
  await page.getByRole("button", { name: "Proceed" }).click();
  await page.getByTestId("outcome").waitFor();
  await shot(page, "page-outcome");

  const transfer = await sessions.createSession({ workflow: "kyc-onboarding", market: "GB", reference: "demo-transfer" });
  const computer = await (await browser.newContext({ ...desktop, viewport: { width: 1000, height: 760 } })).newPage();
  await computer.goto(transfer.url);
  await computer.getByLabel("Full name").fill("Bob Stone");
  await computer.getByLabel("Full name").press("Enter");
  await computer.getByRole("button", { name: "Continue on my phone" }).click();
  await computer.getByRole("heading", { name: "Continue on your phone" }).waitFor();
  await shot(computer, "page-transfer");

  await page.goto(url.replace(/\/s\/.*/, "/s/expired0000000000000000000000"));
  await page.getByTestId("problem").waitFor();
  await shot(page, "page-link-invalid");
  void base;
}

async function consoleScreens(browser: Browser, base: string, key: string, featured: string) {
  const page = await (await browser.newContext(desktop)).newPage();
  await page.goto(`${base}/console`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await shot(page, "console-sign-in");
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("API key").press("Enter");
  await page.getByRole("heading", { name: "Sessions" }).waitFor();
  await page.locator("tbody tr").first().waitFor();
  await shot(page, "console-sessions");
  await page.goto(`${base}/console#/sessions/${featured}`);
  await page.getByTestId("chain").waitFor();
  await page.getByTestId("timeline").getByText("CHECK").first().waitFor();
  await shot(page, "console-session", true);
  await page.goto(`${base}/console#/review`);
  await page.getByTestId("review-item").first().waitFor();
  await page.getByLabel(/^Reviewer/).first().fill("olga.operator");
  await page.getByLabel(/^Reason/).first().fill("Called the customer: the mailbox is theirs.");
  await shot(page, "console-review");
  await page.goto(`${base}/console#/thresholds`);
  await page.getByText(/Editing version/).waitFor();
  await shot(page, "console-thresholds", true);
  await page.goto(`${base}/console#/metrics?range=7d&end=2026-03-09`);
  await page.getByRole("heading", { name: "Rates over time" }).waitFor();
  await shot(page, "console-metrics", true);
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshots failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
