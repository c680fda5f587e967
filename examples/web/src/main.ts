import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AcknowledgementService } from "../../../gen/sessionflow/v1/acknowledgement_service_pb.js";
import { ClientAuthService } from "../../../gen/sessionflow/v1/client_auth_service_pb.js";
import { EventService } from "../../../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../../../gen/sessionflow/v1/event_pb.js";
import { Acknowledgement, WarningScreenStatus } from "../../../gen/sessionflow/v1/lifecycle_pb.js";
import { SessionService } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../../gen/sessionflow/v1/submission_service_pb.js";

/**
 * The front-end half of a Sessionflow journey over Connect-Web: open the link, exchange it for a
 * client token, submit details, acknowledge warnings, hand off to a phone, and watch the session.
 * The page never holds a tenant API key: the link and the client token are all it has.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, on = true) => ($(id).hidden = !on);
const status = (text: string) => ($("status").textContent = text);

const { apiBaseUrl } = (await (await fetch("/config.json")).json()) as { apiBaseUrl: string };
const linkToken = location.pathname.split("/s/")[1] ?? "";

let clientToken = "";
const bearer: Interceptor = (next) => (req) => {
  req.header.set("authorization", `Bearer ${clientToken}`);
  return next(req);
};
const transport = createConnectTransport({ baseUrl: apiBaseUrl, interceptors: [bearer] });
const auth = createClient(ClientAuthService, createConnectTransport({ baseUrl: apiBaseUrl }));
const submissions = createClient(SubmissionService, transport);
const sessions = createClient(SessionService, transport);
const acks = createClient(AcknowledgementService, transport);
const events = createClient(EventService, transport);

async function main() {
  const opened = await auth.exchangeLinkToken({ linkToken });
  clientToken = opened.clientToken;
  const { sessionId, workflow } = opened;
  status(`Session ${sessionId.slice(0, 8)}… is open.`);
  $("resume").textContent = opened.resumeStep ? `Resuming after: ${opened.completedSteps.join(", ")}` : "Let's start.";
  show("details");

  const value = (id: string) => $<HTMLInputElement>(id).value.trim();
  const submit = async (step: string, complete: boolean) => {
    const identity = { fullName: value("fullName"), email: value("email"), phone: value("phone") };
    const device = { deviceId: deviceId(), userAgent: navigator.userAgent, automationFlags: [] };
    await submissions.submit({ sessionId, workflow, identity, device, step, complete });
    status(complete ? "Thanks, checking your details…" : `Saved "${step}".`);
  };
  $("save").onclick = () => void submit("details", false).catch(fail);
  $("finish").onclick = () => void submit("review", true).then(() => show("details", false)).catch(fail);
  $("transfer").onclick = () =>
    void sessions
      .transferSession({ sessionId })
      .then((t) => {
        $("qr").innerHTML = t.qrCodeSvg; // an SVG document produced by the server's QR library
        const link = $<HTMLAnchorElement>("transfer-url");
        link.href = t.url;
        link.textContent = t.url;
        show("handoff");
      })
      .catch(fail);

  let presented = "";
  const refreshScreens = async () => {
    const { warningScreens } = await acks.listWarningScreens({ sessionId });
    const screen = warningScreens.find((s) => s.status === WarningScreenStatus.PRESENTED);
    show("warnings", screen !== undefined);
    if (!screen) return;
    presented = screen.id;
    $("screen").textContent = `${screen.kind.replace(/_/g, " ").toLowerCase()} (${screen.contentKey})`;
  };
  const answer = (acknowledgement: Acknowledgement) => () =>
    void acks.acknowledge({ sessionId, screenId: presented, acknowledgement }).then(refreshScreens).catch(fail);
  $("proceed").onclick = answer(Acknowledgement.PROCEED);
  $("cancel").onclick = answer(Acknowledgement.CANCEL);

  // Replay from the start, then live, until the session resolves or fails.
  for await (const { event } of events.watchSession({ sessionId })) {
    if (!event) continue;
    const item = document.createElement("li");
    item.textContent = `#${event.sequence} ${LifecycleEventType[event.type]}`;
    $("events").append(item);
    if (event.type === LifecycleEventType.WARNING || event.type === LifecycleEventType.ACKNOWLEDGEMENT) await refreshScreens();
    if (event.type === LifecycleEventType.TRANSFERRED) status("Your phone has taken over; you can watch its progress here.");
    if (event.type === LifecycleEventType.RESOLVED || event.type === LifecycleEventType.FAILED) {
      show("details", false);
      show("handoff", false);
      show("warnings", false);
      const outcome = $("outcome");
      outcome.textContent = `Outcome: ${LifecycleEventType[event.type]}`;
      outcome.hidden = false;
    }
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

function fail(e: unknown) {
  status(`Something went wrong: ${e instanceof Error ? e.message : String(e)}`);
}

main().catch(fail);
