import type { Container } from "../common/container";
import type { RequestLog } from "../http/server";
import type { ResponseCandidate } from "./response-cache";

/** What every GraphQL context carries from the request, whatever the app adds to it. */
export interface RequestContext {
  requestId: string;
  /** The request's log line, to which the GraphQL layer adds what it learns. */
  log: RequestLog;
  /** Set when this request's response may be stored for reuse (see ResponseCache). */
  responseCandidate?: ResponseCandidate;
}

/** The context resolvers run with: the request, and the app's services (see `schema.ts`). */
export interface ResolverContext extends RequestContext {
  /** type-graphql takes each resolver instance from it. */
  container: Container;
}
