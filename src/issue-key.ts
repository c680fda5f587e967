import { issueApiKey, scopes, type Scope } from "./domain/api-key.js";

/**
 * Issues a tenant API key offline: prints the secret once (for the tenant) and the entry for
 * SESSIONFLOW_API_KEYS (for the operator), which holds only the SHA-256.
 * Usage: npm run issue-key -- <tenant> [scope,scope,...]
 */
const [tenant, scopeList = "sessions"] = process.argv.slice(2);
const wanted = scopeList.split(",").map((s) => s.trim()) as Scope[];
if (!tenant || !/^[A-Za-z0-9_-]{1,64}$/.test(tenant) || !wanted.every((s) => scopes.includes(s))) {
  process.stderr.write(`usage: npm run issue-key -- <tenant> [${scopes.join(",")}]\n`);
  process.exit(2);
}
const { secret, key } = issueApiKey(tenant, wanted, new Date());
process.stdout.write(
  `API key for tenant "${tenant}" (give it to the tenant; it is not stored anywhere):\n  ${secret}\n\n` +
    `Entry for SESSIONFLOW_API_KEYS:\n  ${JSON.stringify({ id: key.id, tenant, scopes: wanted, sha256: key.hash })}\n`,
);
