import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AcknowledgementService } from "../../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { ClientAuthService } from "../../../gen/sessionflow/v1/client_auth_service_pb.js";
import { EventService } from "../../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType, type LifecycleEvent } from "../../../gen/sessionflow/v1/event_pb.js";
import { Acknowledgement, WarningScreenStatus } from "../../../gen/sessionflow/v1/lifecycle_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Identity, IdentitySchema } from "../../../gen/sessionflow/v1/identity_pb.js";
import { CheckOutcome } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionState, type Session } from "../../../gen/sessionflow/v1/session_pb.js";
import { SessionService } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../../gen/sessionflow/v1/submission_service_pb.js";
import { apiBaseUrl } from "../../shared/api-base.js";
import { byId, h, showOnly } from "../../shared/dom.js";
import { fieldErrorsOf } from "../../shared/errors.js";
import { followSession, type Connection } from "../../shared/follow.js";
import { callProblem, checkNotice, failureText, incompleteLink, linkProblem, warningText, type Problem } from "./messages.js";

/**
 * The hosted verification page: a Connect-Web client of the public API, and the reference for
 * tenants who build their own. It holds the link token (its address) and the short-lived client
 * token that link is exchanged for, in memory only; it never sees a tenant API key.
 */
const steps = ["name", "contact", "address"] as const;
type Step = (typeof steps)[number];
const screens = ["problem", "step-name", "step-contact", "step-address", "checking", "warning", "handoff", "elsewhere", "outcome"];

const linkToken = decodeURIComponent(location.pathname.split("/s/")[1] ?? "");

let clientToken = "";
let sessionId = "";
let workflow = "";
let isChild = false;
let closed = false;
let presentedScreen = "";
let cancelled = false;
const retries = new Map<number, number>();

/**
 * The client token lives for minutes: when the service says it lapsed, the page exchanges its
 * link again and repeats the call once. (It does not trust its own clock to know when.) A lapsed
 * stream is retried by the follower, which reconnects with the renewed token.
 */
const bearer: Interceptor = (next) => async (req) => {
  req.header.set("authorization", `Bearer ${clientToken}`);
  try {
    return await next(req);
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Unauthenticated) throw e;
    await exchange();
    if (req.stream) throw new ConnectError("the client token was renewed", Code.Unavailable);
    req.header.set("authorization", `Bearer ${clientToken}`);
    return next(req);
  }
};
const transport = createConnectTransport({ baseUrl: apiBaseUrl, interceptors: [bearer] });
const auth = createClient(ClientAuthService, createConnectTransport({ baseUrl: apiBaseUrl }));
const submissions = createClient(SubmissionService, transport);
const sessions = createClient(SessionService, transport);
const acks = createClient(AcknowledgementService, transport);
const events = createClient(EventService, transport);

const status = (text: string) => (byId("status").textContent = text);

async function exchange() {
  const opened = await auth.exchangeLinkToken({ linkToken });
  clientToken = opened.clientToken;
  sessionId = opened.sessionId;
  workflow = opened.workflow;
  return opened;
}

function show(screen: string | undefined, focus = true) {
  // A call's answer may arrive after the stream's terminal event: the outcome, once shown, stays.
  if (closed && screen !== "outcome" && screen !== "problem") return;
  showOnly(screens, screen);
  const collecting = screen?.startsWith("step-") ?? false;
  byId("progress").hidden = !collecting;
  byId("transfer-offer").hidden = !(collecting && !isChild);
  if (collecting) {
    const current = screen!.slice(5);
    for (const li of byId("progress").querySelectorAll<HTMLElement>("li")) {
      const index = steps.indexOf(li.dataset["step"] as Step);
      li.classList.toggle("done", index < steps.indexOf(current as Step));
      if (li.dataset["step"] === current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
  }
  // Moving focus to the new screen's heading tells keyboard and screen-reader users where they are.
  if (focus && screen) byId(screen).querySelector<HTMLElement>("h2")?.focus();
}

function problem(p: Problem, retry?: () => void) {
  byId("problem-title").textContent = p.title;
  byId("problem-text").textContent = p.text;
  const again = byId<HTMLButtonElement>("problem-retry");
  again.hidden = !(p.retry && retry);
  again.onclick = () => retry?.();
  show("problem", false);
  status("");
}

async function open() {
  let opened;
  try {
    opened = await exchange();
  } catch (e) {
    return problem(linkProblem(e), () => void open());
  }
  const { session } = await sessions.getSession({ sessionId });
  if (!session) return;
  isChild = session.parentSessionId !== "";
  prefill(session.identity);
  status(isChild ? "You are continuing on this device." : "");
  if (opened.completedSteps.length > 0 && opened.state === SessionState.OPEN && !session.inputComplete) {
    const resume = byId("resume");
    resume.textContent = `Welcome back. You already completed: ${opened.completedSteps.join(", ")}.`;
    resume.hidden = false;
  }
  place(session);
  void follow();
}

/** Puts the page where the session is: the first step not yet completed, or past the input. */
function place(session: Session) {
  // A closed session's replayed terminal event shows its outcome.
  if (session.state === SessionState.RESOLVED || session.state === SessionState.FAILED) return;
  if (session.inputComplete) {
    if (isChild) return show("elsewhere");
    show("checking");
    return void refreshScreens();
  }
  const next = steps.find((s) => !session.completedSteps.includes(s)) ?? "address";
  show(`step-${next}`);
}

function prefill(identity: Identity | undefined) {
  if (!identity) return;
  const set = (id: string, value: string | undefined) => {
    if (value) byId<HTMLInputElement>(id).value = value;
  };
  set("fullName", identity.fullName);
  set("dateOfBirth", identity.dateOfBirth);
  set("email", identity.email);
  set("phone", identity.phone);
  set("line1", identity.address?.lines[0]);
  set("locality", identity.address?.locality);
  set("postalCode", identity.address?.postalCode);
  set("regionCode", identity.address?.regionCode);
}

function value(id: string): string {
  return byId<HTMLInputElement>(id).value.trim();
}

/** What one step submits; empty fields are left out, so they never overwrite earlier values. */
function identityFor(step: Step): MessageInitShape<typeof IdentitySchema> {
  const only = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ""));
  if (step === "name") return only({ fullName: value("fullName"), dateOfBirth: value("dateOfBirth") });
  if (step === "contact") return only({ email: value("email"), phone: value("phone") });
  const address = only({ locality: value("locality"), postalCode: value("postalCode"), regionCode: value("regionCode").toUpperCase() });
  const lines = value("line1") ? [value("line1")] : [];
  return lines.length || Object.keys(address).length ? { address: { lines, ...address } } : {};
}

/** Where the service's field names (identity.email) point on the page. */
const fieldInputs: Record<string, string> = {
  "identity.full_name": "fullName",
  "identity.date_of_birth": "dateOfBirth",
  "identity.email": "email",
  "identity.phone": "phone",
};

function showFieldErrors(form: HTMLFormElement, errors: Map<string, string>) {
  for (const p of form.querySelectorAll<HTMLElement>(".field-error")) p.hidden = true;
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  let first: HTMLInputElement | undefined;
  for (const [field, description] of errors) {
    const id = fieldInputs[field] ?? (field.startsWith("identity.address") ? "line1" : undefined);
    if (!id) continue;
    const input = byId<HTMLInputElement>(id);
    const message = byId(id === "line1" ? "address-error" : `${id}-error`);
    input.setAttribute("aria-invalid", "true");
    message.textContent = `Please check this field: it ${description}.`;
    message.hidden = false;
    first ??= input;
  }
  first?.focus();
}

async function submitStep(step: Step, form: HTMLFormElement) {
  const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
  button.disabled = true;
  const complete = step === "address";
  try {
    await submissions.submit({
      sessionId,
      workflow,
      requestId: crypto.randomUUID(),
      identity: identityFor(step),
      device: { deviceId: deviceId(), userAgent: navigator.userAgent },
      step,
      complete,
    });
    showFieldErrors(form, new Map());
    byId("resume").hidden = true;
    if (!complete) {
      status("Saved.");
      show(`step-${steps[steps.indexOf(step) + 1]}`);
    } else {
      status("Thank you. Your details were sent.");
      show(isChild ? "elsewhere" : "checking");
    }
  } catch (e) {
    const errors = fieldErrorsOf(e);
    if (errors.size > 0) {
      status("Please correct the highlighted fields.");
      showFieldErrors(form, errors);
    } else problem(callProblem(e), () => show(`step-${step}`));
  } finally {
    button.disabled = false;
  }
}

async function refreshScreens() {
  const { warningScreens } = await acks.listWarningScreens({ sessionId });
  const screen = warningScreens.find((s) => s.status === WarningScreenStatus.PRESENTED);
  if (!screen) {
    if (!byId("warning").hidden && !closed) show("checking");
    return;
  }
  if (presentedScreen === screen.id && !byId("warning").hidden) return;
  presentedScreen = screen.id;
  byId("warning-text").textContent = warningText(screen);
  show("warning");
}

async function answer(acknowledgement: Acknowledgement) {
  const buttons = [byId<HTMLButtonElement>("proceed"), byId<HTMLButtonElement>("cancel")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    await acks.acknowledge({ sessionId, screenId: presentedScreen, acknowledgement, requestId: crypto.randomUUID() });
    if (acknowledgement === Acknowledgement.CANCEL) cancelled = true;
    show("checking");
    await refreshScreens();
  } catch (e) {
    problem(callProblem(e), () => show("warning"));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

async function transfer() {
  const button = byId<HTMLButtonElement>("transfer");
  button.disabled = true;
  try {
    const t = await sessions.transferSession({ sessionId, requestId: crypto.randomUUID() });
    // Shown as an image, not put into the document: an image cannot run script.
    byId<HTMLImageElement>("qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(t.qrCodeSvg)}`;
    const link = byId<HTMLAnchorElement>("transfer-url");
    link.href = t.url;
    link.textContent = t.url;
    byId("handoff-status").textContent = "Waiting for your phone…";
    show("handoff");
  } catch (e) {
    problem(callProblem(e), () => show("step-name"));
  } finally {
    button.disabled = false;
  }
}

let lost = false;
function connection(state: Connection) {
  const banner = byId("connection");
  if (state === "lost") {
    lost = true;
    banner.className = "banner";
    banner.textContent = "Connection lost. Reconnecting…";
    banner.hidden = false;
  } else if (state === "live" && lost) {
    lost = false;
    banner.className = "banner ok";
    banner.textContent = "Reconnected. You are up to date.";
    setTimeout(() => !lost && (banner.hidden = true), 4000);
  }
}

async function onEvent(event: LifecycleEvent) {
  byId("events").append(h("li", {}, `#${event.sequence} ${LifecycleEventType[event.type]}`));
  switch (event.type) {
    case LifecycleEventType.WARNING:
    case LifecycleEventType.ACKNOWLEDGEMENT:
      if (event.warningScreen?.acknowledgement === Acknowledgement.CANCEL) cancelled = true;
      return refreshScreens();
    case LifecycleEventType.TRANSFERRED:
      if (!isChild) byId("handoff-status").textContent = "Your phone opened the link. Continue there; this page follows along.";
      return;
    case LifecycleEventType.SUBMISSION:
      // The phone's progress arrives here too; once its input is complete, this page waits for the checks.
      if (!isChild && !byId("handoff").hidden) {
        const { session } = await sessions.getSession({ sessionId });
        if (session?.inputComplete) place(session);
      }
      return;
    case LifecycleEventType.CHECK: {
      if (!event.check) return;
      const before = retries.get(event.check.type) ?? 0;
      if (event.check.outcome === CheckOutcome.RETRY) retries.set(event.check.type, before + 1);
      const text = checkNotice(event.check.type, event.check.outcome, before);
      if (text) {
        byId("notice").textContent = text;
        byId("notice").hidden = false;
      }
      return;
    }
    case LifecycleEventType.RESOLVED:
      closed = true;
      // A transferred session closes once the phone's part is done; the journey goes on at the computer.
      if (isChild) return outcome("All done on this device", "Your details were sent. You can go back to your computer to finish.", false);
      outcome(
        cancelled ? "You stopped the verification" : "Thank you, you are all done",
        cancelled ? "Nothing more is needed from you." : "Your verification is complete. You can close this page.",
        false,
      );
      return;
    case LifecycleEventType.FAILED: {
      closed = true;
      const { title, text } = failureText(event.outcome?.failureReason ?? 0);
      outcome(title, text, true);
      return;
    }
  }
}

function outcome(title: string, text: string, failed: boolean) {
  byId("outcome-title").textContent = title;
  byId("outcome-text").textContent = text;
  byId("outcome").classList.toggle("failed", failed);
  status("");
  show("outcome");
}

/** One WatchSession stream; a lapsed client token is renewed and the follower reconnects. */
async function* watch(afterSequence: bigint, signal: AbortSignal) {
  try {
    yield* events.watchSession({ sessionId, afterSequence }, { signal });
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Unauthenticated) throw e;
    await exchange();
    throw new ConnectError("the client token was renewed", Code.Unavailable);
  }
}

async function follow() {
  try {
    await followSession({
      watch,
      probe: (signal) => sessions.getSession({ sessionId }, { signal }),
      onEvent: (e) => void onEvent(e).catch(() => undefined),
      onConnection: connection,
      signal: new AbortController().signal,
    });
  } catch (e) {
    problem(callProblem(e), () => location.reload());
  }
}

function deviceId(): string {
  const key = "sessionflow-device";
  const existing = localStorage.getItem(key);
  if (existing) return existing;
  const id = crypto.randomUUID();
  localStorage.setItem(key, id);
  return id;
}

for (const step of steps) {
  const form = byId<HTMLFormElement>(`step-${step}`);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submitStep(step, form);
  });
}
for (const back of document.querySelectorAll<HTMLButtonElement>("[data-back]")) back.onclick = () => show(`step-${back.dataset["back"]}`);
byId("proceed").onclick = () => void answer(Acknowledgement.PROCEED);
byId("cancel").onclick = () => void answer(Acknowledgement.CANCEL);
byId("transfer").onclick = () => void transfer();
byId("handoff-back").onclick = () =>
  void sessions.getSession({ sessionId }).then(({ session }) => session && place(session), (e: unknown) => problem(callProblem(e)));

if (!/^[A-Za-z0-9_-]{20,100}$/.test(linkToken)) problem(incompleteLink);
else void open().catch((e: unknown) => problem(linkProblem(e), () => location.reload()));
