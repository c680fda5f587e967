import { createContextValues, type Interceptor, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { issueApiKey, type Principal } from "../../src/domain/api-key.js";
import { createLogger } from "../../src/logger.js";
import { defaultAuthLimits } from "../../src/server/auth-limits.js";
import { createAuthInterceptor } from "../../src/server/interceptors/auth.js";
import { principalKey } from "../../src/service/context.js";
import { createAccessTable } from "../../src/service/scopes.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";

/** The principal each call reached its handler with, through the auth interceptor alone. */
function harness(interceptor: Interceptor) {
  const seen: Principal[] = [];
  const handler = interceptor(async (req) => {
    seen.push(req.contextValues.get(principalKey)!);
    return {} as UnaryResponse;
  });
  const call = (secret: string) =>
    handler({
      service: SessionService,
      method: SessionService.method.getSession,
      header: new Headers({ authorization: `Bearer ${secret}` }),
      contextValues: createContextValues(),
      stream: false,
    } as unknown as UnaryRequest);
  return { seen, call };
}

describe("the principals of API keys the auth interceptor remembers", () => {
  it("are each key's own, calls of two tenants interleaved, and follow the store once the key cache lets them", async () => {
    const store = createMemoryStore();
    const acme = issueApiKey("acme", ["sessions"], new Date());
    const globex = issueApiKey("globex", ["sessions", "audit"], new Date());
    await store.apiKeys.insert(acme.key);
    await store.apiKeys.insert(globex.key);
    let now = 0;
    const { seen, call } = harness(
      createAuthInterceptor({
        apiKeys: store.apiKeys,
        verifyClientToken: async () => undefined,
        accessOf: createAccessTable([]),
        limits: { ...defaultAuthLimits, apiKeyCacheMs: 1_000 },
        logger: createLogger("silent"),
        now: () => now,
      }),
    );
    for (let i = 0; i < 3; i++) {
      await call(acme.secret);
      await call(globex.secret);
    }
    expect(seen.map((p) => p.tenantId)).toEqual(["acme", "globex", "acme", "globex", "acme", "globex"]);
    expect(seen.map((p) => [...p.scopes].sort().join(","))).toEqual(["sessions", "audit,sessions", "sessions", "audit,sessions", "sessions", "audit,sessions"]);
    expect(Object.isFrozen(seen[0])).toBe(true);

    // The operator narrows globex's key: within the cache's time the old scopes hold, after it the new.
    await store.apiKeys.replaceAll([acme.key, { ...globex.key, scopes: ["sessions"] }]);
    await call(globex.secret);
    expect([...seen.at(-1)!.scopes]).toEqual(["sessions", "audit"]);
    now += 1_001;
    await call(globex.secret);
    expect([...seen.at(-1)!.scopes]).toEqual(["sessions"]);
    expect(seen.at(-1)!.tenantId).toBe("globex");
  });
});
