import type { CallStatus } from "./call-status.entity";
import { AgentVisibility, Audience } from "./status.enums";

/** Which audience is choosing an outcome (the `visibleTo` filter). */
export interface AudienceFilterParams {
  visibleTo?: Audience | null;
  afterCallTransfer?: boolean | null;
}

/** The one definition of "offered to this audience". */
export function isVisibleTo(
  status: Pick<CallStatus, "agentVisibility" | "showToAiAgents">,
  audience: AudienceFilterParams,
): boolean {
  switch (audience.visibleTo) {
    case Audience.AGENT:
      return (
        status.agentVisibility === AgentVisibility.ALWAYS ||
        (audience.afterCallTransfer === true &&
          status.agentVisibility === AgentVisibility.AFTER_CALL_TRANSFER)
      );
    case Audience.AI_AGENT:
      return status.showToAiAgents;
    default:
      return true;
  }
}
