import type { ServiceImpl } from "@connectrpc/connect";
import type { DecisionUseCases } from "../domain/decisions.js";
import { effectiveThresholds } from "../domain/thresholds.js";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { principalOf } from "./context.js";
import { configToProto, listsFromProto, thresholdsFromProto, thresholdsToProto } from "./mapping.js";
import { clampPageSize, decodePageToken, encodePageToken } from "./page-token.js";
import { checkConfigurationUpdate } from "./configuration-limits.js";
import { createValidator, isRegionCode } from "./validation.js";

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
      checkConfigurationUpdate(v, req);
      v.throwIfInvalid();
      const lists = listsFromProto(req.lists);
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
