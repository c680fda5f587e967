import type { ServiceImpl } from "@connectrpc/connect";
import type { DecisionUseCases } from "../domain/decisions.js";
import { effectiveThresholds } from "../domain/thresholds.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { principalOf } from "./context.js";
import { configToProto, listsFromProto, thresholdsFromProto, thresholdsToProto } from "./mapping.js";
import { clampPageSize, decodePageToken, encodePageToken } from "./page-token.js";
import { createValidator, isRegionCode } from "./validation.js";

const maxListEntries = 10_000;

export function createConfigurationService(decisions: DecisionUseCases): ServiceImpl<typeof ConfigurationService> {
  return {
    async getThresholds(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const v = createValidator();
      v.check(req.market === "" || isRegionCode(req.market), "market", "must be an ISO 3166-1 alpha-2 code");
      v.throwIfInvalid();
      const config = await decisions.config(tenantId);
      return { config: configToProto(config), effective: thresholdsToProto(effectiveThresholds(config, req.market)) };
    },

    async updateThresholds(req, ctx) {
      const principal = principalOf(ctx);
      const v = createValidator();
      v.check(req.expectedVersion >= 0n, "expected_version", "must not be negative");
      v.text(req.reason, "reason", 500);
      const lists = listsFromProto(req.lists);
      for (const [name, entries] of Object.entries(lists) as [string, string[]][]) {
        v.check(entries.length <= maxListEntries, `lists.${name}`, `must have at most ${maxListEntries} entries`);
        entries.forEach((entry, i) => v.text(entry, `lists.${name}[${i}]`, 254));
      }
      v.throwIfInvalid();
      const config = await decisions.updateConfig(
        { tenantId: principal.tenantId, principal: principal.name },
        Number(req.expectedVersion),
        req.reason,
        {
          values: thresholdsFromProto(req.values),
          marketOverrides: Object.fromEntries(Object.entries(req.marketOverrides).map(([m, t]) => [m, thresholdsFromProto(t)])),
          lists,
          clientScores: req.clientScores,
        },
      );
      return { config: configToProto(config) };
    },

    async listThresholdRevisions(req, ctx) {
      const { tenantId } = principalOf(ctx);
      const v = createValidator();
      v.check(req.pageSize >= 0, "page_size", "must not be negative");
      v.throwIfInvalid();
      const limit = clampPageSize(req.pageSize, 20, 100);
      const before = decodePageToken(req.pageToken, { revisions: tenantId });
      const rows = await decisions.revisions(tenantId, before === undefined ? undefined : Number(before), limit + 1);
      const page = rows.slice(0, limit);
      return {
        revisions: page.map(configToProto),
        nextPageToken: rows.length > limit ? encodePageToken(String(page.at(-1)!.version), { revisions: tenantId }) : "",
      };
    },
  };
}
