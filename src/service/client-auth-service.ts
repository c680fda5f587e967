import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { LinkUseCases } from "../domain/links.js";
import { ClientAuthService } from "../../gen/sessionflow/v1/client_auth_service_pb.js";
import { stateToProto } from "./mapping.js";
import { createValidator } from "./validation.js";

export function createClientAuthService(links: LinkUseCases): ServiceImpl<typeof ClientAuthService> {
  return {
    async exchangeLinkToken(req) {
      const v = createValidator();
      v.check(/^[A-Za-z0-9_-]{20,100}$/.test(req.linkToken), "link_token", "must be the token from the link");
      v.throwIfInvalid();
      const { clientToken, clientTokenExpireTime, session } = await links.exchange(req.linkToken);
      return {
        clientToken,
        clientTokenExpireTime: timestampFromDate(clientTokenExpireTime),
        sessionId: session.id,
        workflow: session.workflow,
        resumeStep: session.currentStep,
        completedSteps: session.completedSteps,
        state: stateToProto[session.state],
        sessionExpireTime: timestampFromDate(session.expireTime),
      };
    },
  };
}
