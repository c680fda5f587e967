import { createClient } from "@connectrpc/connect";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * The Connect-Web path in a real browser: Debian's Chromium, driven by playwright-core, runs the
 * example page (examples/web, built with Vite) against a real server. CI installs Chromium;
 * without it this file is skipped, and says so.
 */
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const root = fileURLToPath(new URL("../../", import.meta.url));
const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml" };

describe.skipIf(!existsSync(executablePath))("the example front end in headless Chromium", () => {
  let server: TestServer;
  let web: http.Server;
  let webUrl = "";
  let browser: Browser;
  let dist = "";

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "sessionflow-web-"));
    await build({ root: join(root, "examples/web"), logLevel: "error", build: { outDir: dist, emptyOutDir: true } });
    let apiBaseUrl = "";
    // A static host for the built page: every /s/<token> path is the page; config.json points at the API.
    web = http.createServer(async (req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (path === "/config.json") {
        res.setHeader("content-type", "application/json");
        return res.end(JSON.stringify({ apiBaseUrl }));
      }
      const file = path.startsWith("/assets/") ? join(dist, path) : join(dist, "index.html");
      try {
        const body = await readFile(file);
        res.setHeader("content-type", types[extname(file)] ?? "application/octet-stream");
        res.end(body);
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    server = await startTestServer({ publicBaseUrl: webUrl });
    apiBaseUrl = server.baseUrl;
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => web?.close(resolve));
    await rm(dist, { recursive: true, force: true });
  });

  it("completes a session end to end, with a hand-off to a second device", async () => {
    const api = createClient(SessionService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    const { url, session } = await api.createSession({ workflow: "kyc-onboarding", market: "GB", reference: "browser-test" });
    expect(url.startsWith(`${webUrl}/s/`)).toBe(true);

    const desktop = await (await browser.newContext({ viewport: { width: 900, height: 1100 } })).newPage();
    await desktop.goto(url);
    await desktop.getByTestId("save").waitFor();
    await desktop.fill("#fullName", "Alice Liddell");
    await desktop.getByTestId("save").click();
    await desktop.getByTestId("status").filter({ hasText: 'Saved "details"' }).waitFor();

    await desktop.getByTestId("transfer").click();
    await desktop.locator("#transfer-url[href]").waitFor();
    const childUrl = await desktop.getByTestId("transfer-url").getAttribute("href");
    expect(childUrl).toMatch(new RegExp(`^${webUrl}/s/`));
    expect(await desktop.locator("#qr svg").count()).toBe(1);

    // The phone: a second browser context that opens the same URL the QR code holds.
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await phone.goto(childUrl!);
    await phone.getByTestId("resume").filter({ hasText: "Resuming after: details" }).waitFor();
    await phone.fill("#email", "alice@mailinator.com");
    await phone.fill("#phone", "+447700900123");
    await phone.getByTestId("finish").click();

    // Back on the desktop: the phone's data arrived, the analysis warns, the user proceeds.
    await desktop.getByTestId("proceed").waitFor({ state: "visible", timeout: 10_000 });
    expect(await desktop.getByTestId("screen").textContent()).toContain("disposable email");
    await mkdir(join(root, "test-output"), { recursive: true });
    await desktop.screenshot({ path: join(root, "test-output", "front-end-warning.png"), fullPage: true });
    await phone.screenshot({ path: join(root, "test-output", "front-end-phone.png"), fullPage: true });
    await desktop.getByTestId("proceed").click();
    await desktop.getByTestId("outcome").filter({ hasText: "Outcome: RESOLVED" }).waitFor({ timeout: 10_000 });
    const seen = await desktop.getByTestId("events").innerText();
    for (const hook of ["OPENED", "SUBMISSION", "TRANSFERRED", "NEW_ANALYSIS", "WARNING", "ACKNOWLEDGEMENT", "RESOLVED"]) expect(seen).toContain(hook);

    await desktop.screenshot({ path: join(root, "test-output", "front-end-outcome.png"), fullPage: true });
    const final = await api.getSession({ sessionId: session!.id });
    expect(final.session!.identity).toMatchObject({ fullName: "Alice Liddell", email: "alice@mailinator.com", phone: "+447700900123" });
  }, 60_000);
});
