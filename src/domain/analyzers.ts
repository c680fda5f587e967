import type { Analysis } from "./session.js";
import { automationScore, emailDomain, isDisposableDomain } from "./signals.js";
import type { AnalysisResult } from "./lifecycle.js";
import type { Identity, DeviceSignals } from "./session.js";

/** What an analyzer sees: the merged identity and the latest device signals of one session. */
export interface AnalysisInput {
  workflow: string;
  market: string;
  identity: Identity;
  device?: DeviceSignals;
}

export interface Finding {
  /** 0 (no risk) to 1. */
  risk: number;
  reasonCodes: string[];
  /** Shown to the user when risk reaches the warn threshold. */
  warning?: { kind: string; impact: number; contentKey: string };
}

/**
 * An analyzer looks at a session and reports risk. Deployments may add their own; one that
 * throws or outlives its timeout fails the session as SYSTEM_ERROR / SERVICE_ERROR.
 */
export interface Analyzer {
  name: string;
  analyze(input: AnalysisInput, signal: AbortSignal): Finding | Promise<Finding>;
}

/** Automation flags from the capture SDK (webdriver, headless, …) suggest a bot. */
export const deviceAutomationAnalyzer: Analyzer = {
  name: "device-automation",
  analyze({ device }) {
    const flags = device?.automationFlags ?? [];
    if (flags.length === 0) return { risk: 0, reasonCodes: [] };
    return {
      risk: automationScore(flags),
      reasonCodes: flags.map((f) => `AUTOMATION_FLAG_${f.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`),
      warning: { kind: "AUTOMATION_SUSPECTED", impact: 90, contentKey: "warning.automation.v1" },
    };
  },
};

/** Built-in throwaway mailbox domains; deployments add theirs (SESSIONFLOW_DISPOSABLE_DOMAINS). */
export const defaultDisposableDomains: ReadonlySet<string> = new Set([
  "mailinator.com", "10minutemail.com", "guerrillamail.com", "tempmail.dev", "yopmail.com", "trashmail.com", "sharklasers.com",
]);

/** Throwaway mailbox domains (and their subdomains, in any Unicode form) are a common mark of fake sign-ups. */
export function createDisposableEmailAnalyzer(domains: ReadonlySet<string> = defaultDisposableDomains): Analyzer {
  return {
    name: "disposable-email",
    analyze({ identity }) {
      if (!isDisposableDomain(emailDomain(identity.email), domains)) return { risk: 0, reasonCodes: [] };
      return {
        risk: 0.6,
        reasonCodes: ["EMAIL_DOMAIN_DISPOSABLE"],
        warning: { kind: "DISPOSABLE_EMAIL", impact: 60, contentKey: "warning.disposable-email.v1" },
      };
    },
  };
}

export function createBuiltInAnalyzers(disposableDomains: ReadonlySet<string> = defaultDisposableDomains): Analyzer[] {
  return [deviceAutomationAnalyzer, createDisposableEmailAnalyzer(disposableDomains)];
}

export const builtInAnalyzers: readonly Analyzer[] = createBuiltInAnalyzers();

export interface AnalysisRunOptions {
  analyzers: readonly Analyzer[];
  /** Risk at or above which an analysis presents its warning screen. */
  warnThreshold: number;
  timeoutMs: number;
}

/** Runs every analyzer with a deadline; a throw or timeout becomes a FAILED analysis, never a hang. */
export async function runAnalyses(
  input: AnalysisInput,
  opts: AnalysisRunOptions,
  now: () => Date,
  nextId: () => string,
): Promise<AnalysisResult[]> {
  return Promise.all(
    opts.analyzers.map(async (analyzer): Promise<AnalysisResult> => {
      const startTime = now();
      const base: Analysis = { id: nextId(), analyzer: analyzer.name, status: "RUNNING", startTime, risk: 0, reasonCodes: [] };
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error("analyzer timed out"));
        }, opts.timeoutMs);
      });
      try {
        const finding = await Promise.race([Promise.resolve().then(() => analyzer.analyze(input, controller.signal)), deadline]);
        // Clamped to 0..1 and rounded to 4 places, so scores compare and serialize exactly.
        const risk = Math.round(Math.min(1, Math.max(0, Number.isFinite(finding.risk) ? finding.risk : 1)) * 1e4) / 1e4;
        const analysis: Analysis = { ...base, status: "COMPLETED", finishTime: now(), risk, reasonCodes: [...finding.reasonCodes] };
        return finding.warning && risk >= opts.warnThreshold ? { analysis, warning: { ...finding.warning } } : { analysis };
      } catch {
        return { analysis: { ...base, status: "FAILED", finishTime: now(), reasonCodes: ["ANALYZER_FAILED"] } };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
