import { LifecycleEventType, type LifecycleEvent } from "../../../gen/sessionflow/v1/event_pb.js";
import { Acknowledgement, WarningScreenStatus } from "../../../gen/sessionflow/v1/lifecycle_pb.js";
import { CheckOutcome } from "../../../gen/sessionflow/v1/risk_pb.js";
import { SessionState, type Session } from "../../../gen/sessionflow/v1/session_pb.js";
import { byId, h, showOnly } from "../../shared/dom.js";
import { fieldErrorsOf } from "../../shared/errors.js";
import { followSession, type Connection } from "../../shared/follow.js";
import { acks, exchange, link, linkToken, sessions, submissions, watch } from "./client.js";
import { identityFor, prefill, showFieldErrors, steps, type Step } from "./inputs.js";
import { callProblem, checkNotice, failureText, incompleteLink, linkProblem, warningText, type Problem } from "./messages.js";

/**
 * The hosted verification page: a Connect-Web client of the public API, and the reference for
 * tenants who build their own. This file is the journey: which screen shows when, driven by the
 * user's input and by the session's lifecycle events.
 */
const screens = ["problem", "step-name", "step-contact", "step-address", "checking", "warning", "handoff", "elsewhere", "outcome"];

let isChild = false;
let closed = false;
let presentedScreen = "";
let cancelled = false;
const retries = new Map<number, number>();

const status = (text: string) => (byId("status").textContent = text);

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
  const { session } = await sessions.getSession({ sessionId: link.sessionId });
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

async function submitStep(step: Step, form: HTMLFormElement) {
  const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
  button.disabled = true;
  const complete = step === "address";
  try {
    await submissions.submit({
      sessionId: link.sessionId,
      workflow: link.workflow,
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
  const { warningScreens } = await acks.listWarningScreens({ sessionId: link.sessionId });
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
    await acks.acknowledge({ sessionId: link.sessionId, screenId: presentedScreen, acknowledgement, requestId: crypto.randomUUID() });
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
    const t = await sessions.transferSession({ sessionId: link.sessionId, requestId: crypto.randomUUID() });
    // Shown as an image, not put into the document: an image cannot run script.
    byId<HTMLImageElement>("qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(t.qrCodeSvg)}`;
    const anchor = byId<HTMLAnchorElement>("transfer-url");
    anchor.href = t.url;
    anchor.textContent = t.url;
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
        const { session } = await sessions.getSession({ sessionId: link.sessionId });
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

async function follow() {
  try {
    await followSession({
      watch,
      probe: (signal) => sessions.getSession({ sessionId: link.sessionId }, { signal }),
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
  void sessions.getSession({ sessionId: link.sessionId }).then(({ session }) => session && place(session), (e: unknown) => problem(callProblem(e)));

if (!/^[A-Za-z0-9_-]{20,100}$/.test(linkToken)) problem(incompleteLink);
else void open().catch((e: unknown) => problem(linkProblem(e), () => location.reload()));
