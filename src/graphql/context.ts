import type { RequestLog } from "../http/server";
import type { ResponseCandidate } from "./response-cache";

/** What every GraphQL context carries, whatever the features add to it (see src/context.ts). */
export interface RequestContext {
  requestId: string;
  /** The request's log line, to which the GraphQL layer adds what it learns. */
  log: RequestLog;
  /** Set when this request's response may be stored for reuse (see ResponseCache). */
  responseCandidate?: ResponseCandidate;
}
