import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ConfigurationService } from "../../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../../gen/sessionflow/v1/decision_service_pb.js";
import { EventService } from "../../../gen/sessionflow/v1/event_service_pb.js";
import { MetricsService } from "../../../gen/sessionflow/v1/metrics_service_pb.js";
import { SessionService } from "../../../gen/sessionflow/v1/session_service_pb.js";
import { apiBaseUrl } from "../../shared/api-base.js";

/**
 * The console's API key lives in sessionStorage: this tab only, gone when it closes, never in
 * a URL (routes are fragments without it) and never logged. The service keeps only its hash.
 */
const storageKey = "sessionflow-console-key";

export const keyStore = {
  get: (): string => sessionStorage.getItem(storageKey) ?? "",
  set: (key: string) => sessionStorage.setItem(storageKey, key),
  clear: () => sessionStorage.removeItem(storageKey),
};

/** API keys look like sf_k_…; a client token (a JWS) or anything else is refused before it is sent. */
export const looksLikeApiKey = (key: string) => /^sf_k_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}$/.test(key);

const bearer: Interceptor = (next) => (req) => {
  req.header.set("authorization", `Bearer ${keyStore.get()}`);
  return next(req);
};
const transport = createConnectTransport({ baseUrl: apiBaseUrl, interceptors: [bearer] });

export const api = {
  sessions: createClient(SessionService, transport),
  events: createClient(EventService, transport),
  decisions: createClient(DecisionService, transport),
  configuration: createClient(ConfigurationService, transport),
  metrics: createClient(MetricsService, transport),
};
