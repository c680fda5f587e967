import { Code, ConnectError } from "@connectrpc/connect";
import { byId, h } from "../../shared/dom.js";
import { api, keyStore, looksLikeApiKey } from "./api.js";
import { renderMetrics } from "./metrics-view.js";
import { renderReview } from "./review-view.js";
import { renderSession } from "./session-view.js";
import { renderSessions } from "./sessions-view.js";
import { renderThresholds } from "./thresholds-view.js";

/**
 * The operator console: a Connect-Web client of the public API, signed in with an API key that
 * has the `console` scope. Routes are URL fragments (#/sessions, #/sessions/{id}, #/review,
 * #/thresholds, #/metrics) holding filters at most, never a credential.
 */
export interface View {
  /** Where the view draws; emptied for each route. */
  root: HTMLElement;
  /** Aborted when the route changes: streams and pending work stop. */
  signal: AbortSignal;
  params: URLSearchParams;
}

type Render = (view: View, arg: string) => Promise<void>;
const routes: [RegExp, string, string, Render][] = [
  [/^\/sessions\/([0-9a-f-]{36})$/, "sessions", "Session", renderSession],
  [/^\/sessions$/, "sessions", "Sessions", renderSessions],
  [/^\/review$/, "review", "Review queue", renderReview],
  [/^\/thresholds$/, "thresholds", "Thresholds", renderThresholds],
  [/^\/metrics$/, "metrics", "Metrics", renderMetrics],
];

let current: AbortController | undefined;

async function route() {
  current?.abort();
  const screen = byId("screen");
  screen.replaceChildren();
  if (!keyStore.get()) return signIn();
  byId("sign-in").hidden = true;
  byId("nav").hidden = false;
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?", 2);
  const match = routes.find(([pattern]) => pattern.test(path));
  if (!match) {
    location.replace("#/sessions");
    return;
  }
  const [pattern, section, title, render] = match;
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (a.dataset["route"] === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${title} · Sessionflow console`;
  const controller = (current = new AbortController());
  const root = h("div");
  screen.append(root);
  try {
    await render({ root, signal: controller.signal, params: new URLSearchParams(query) }, pattern.exec(path)?.[1] ?? "");
    // Focus the new screen's heading, so keyboard and screen-reader users know the page changed.
    if (!controller.signal.aborted) root.querySelector<HTMLElement>("h1")?.focus();
  } catch (e) {
    if (controller.signal.aborted) return;
    failed(root, e);
  }
}

/** A failed screen: a key that stopped working signs out; anything else is said in place. */
export function failed(root: HTMLElement, e: unknown) {
  const error = ConnectError.from(e);
  if (error.code === Code.Unauthenticated) {
    keyStore.clear();
    return signIn("The API key is no longer accepted. Sign in again.");
  }
  const text =
    error.code === Code.PermissionDenied
      ? "This API key may not do this: it needs the console scope."
      : error.code === Code.Unknown || error.code === Code.Unavailable
        ? "The service cannot be reached. Check the connection and reload."
        : error.rawMessage;
  root.append(h("p", { class: "error", role: "alert" }, text));
}

function signIn(message = "") {
  current?.abort();
  byId("screen").replaceChildren();
  byId("nav").hidden = true;
  byId("sign-in").hidden = false;
  document.title = "Sign in · Sessionflow console";
  const error = byId("sign-in-error");
  error.textContent = message;
  error.hidden = message === "";
  byId("api-key").focus();
}

byId<HTMLFormElement>("sign-in-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = byId<HTMLInputElement>("api-key");
  const key = input.value.trim();
  const error = byId("sign-in-error");
  const refuse = (text: string) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  };
  if (!looksLikeApiKey(key)) return refuse("That is not an API key. Paste a key with the console scope (it starts with sf_k_).");
  keyStore.set(key);
  // One cheap call proves the key and its scope before the console opens.
  api.sessions.listSessions({ pageSize: 1 }).then(
    () => {
      input.value = "";
      input.removeAttribute("aria-invalid");
      if (!location.hash.startsWith("#/")) location.hash = "#/sessions";
      void route();
    },
    (err: unknown) => {
      keyStore.clear();
      const code = ConnectError.from(err).code;
      refuse(
        code === Code.Unauthenticated
          ? "This API key is not recognised."
          : code === Code.PermissionDenied
            ? "This API key lacks the console scope."
            : "The service cannot be reached. Try again.",
      );
    },
  );
});

byId("sign-out").onclick = () => {
  keyStore.clear();
  signIn("Signed out.");
};

window.addEventListener("hashchange", () => void route());
void route();
