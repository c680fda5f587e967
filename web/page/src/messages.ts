import { CheckOutcome, CheckType } from "../../../gen/sessionflow/v1/risk_pb.js";
import { FailureReason, type WarningScreen } from "../../../gen/sessionflow/v1/lifecycle_pb.js";
import { isConnectionProblem, reasonOf } from "../../shared/errors.js";

export interface Problem {
  title: string;
  text: string;
  /** Whether trying again may help (a network or capacity problem), so the page offers it. */
  retry: boolean;
}

export const incompleteLink: Problem = {
  title: "This link is incomplete",
  text: "Please check that you opened the whole link, exactly as you received it.",
  retry: false,
};

/** What a refused or failed link exchange means for the person holding the link. */
export function linkProblem(e: unknown): Problem {
  switch (reasonOf(e)) {
    case "LINK_INVALID":
      return {
        title: "This link no longer works",
        text: "It may have been replaced by a newer link, for example after a new one was sent to you. Please open the most recent link you received.",
        retry: false,
      };
    case "LINK_EXPIRED":
      return { title: "This link has expired", text: "Verification links are valid for a limited time. Please ask for a new link.", retry: false };
    case "INVALID_REQUEST":
      return incompleteLink;
    case "RATE_LIMITED":
    case "OVERLOADED":
      return { title: "The service is busy", text: "Please wait a moment and try again.", retry: true };
  }
  return connectionOr(e, { title: "Something went wrong", text: "We could not open your verification. Please try again later.", retry: true });
}

/** A failed call in the middle of the journey. */
export function callProblem(e: unknown): Problem {
  if (reasonOf(e) === "SESSION_CLOSED") return { title: "This verification is finished", text: "Nothing more can be changed.", retry: false };
  return connectionOr(e, { title: "Something went wrong", text: "Your last step was not saved. Please try again.", retry: true });
}

function connectionOr(e: unknown, otherwise: Problem): Problem {
  if (!isConnectionProblem(e)) return otherwise;
  return { title: "We can't reach the service", text: "Check your internet connection, then try again. Nothing you entered is lost.", retry: true };
}

const warnings: Record<string, string> = {
  DISPOSABLE_EMAIL: "The email address you gave looks like a temporary mailbox. We may not be able to reach you there. Do you want to go on with it?",
  AUTOMATION_SUSPECTED: "This browser looks like it is being controlled automatically. If you are using assistive software, you can go on.",
};

export function warningText(screen: WarningScreen): string {
  return warnings[screen.kind] ?? "Please check the details you entered before you go on.";
}

const checkNames: Record<number, string> = {
  [CheckType.LIVENESS]: "selfie",
  [CheckType.FACE_MATCH]: "face match",
  [CheckType.DOCUMENT]: "document photo",
};

/** A capture check's result, as the person needs to hear it; undefined when there is nothing to say. */
export function checkNotice(type: CheckType, outcome: CheckOutcome, retriesBefore: number): string | undefined {
  const name = checkNames[type] ?? "capture";
  if (outcome === CheckOutcome.RETRY) return `We need to take your ${name} again (retry ${retriesBefore + 1}). Good light helps.`;
  if (outcome === CheckOutcome.FAILED && retriesBefore > 0) {
    return `You have used all your retries for the ${name}, so this check could not be completed.`;
  }
  return undefined;
}

export function failureText(reason: FailureReason): { title: string; text: string } {
  switch (reason) {
    case FailureReason.ABANDONED:
      return { title: "This verification has expired", text: "It was not finished in time. Please ask for a new link." };
    case FailureReason.INVALID_INPUT:
      return { title: "We could not verify these details", text: "Please contact the company that sent you the link." };
    default:
      return { title: "Something went wrong on our side", text: "Your verification could not be completed. Please try again later." };
  }
}
