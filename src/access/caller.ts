/**
 * The caller of a GraphQL operation, as resolvers receive it: `@Caller() actor: Principal`.
 * Every request is authenticated before it runs (see `graphql/route.ts`), so the principal is
 * always there.
 */
import { createParameterDecorator } from "type-graphql";
import type { ResolverContext } from "../graphql/context";
import type { Principal } from "./principal";

/** The GraphQL context of an authenticated request. */
export interface CallerContext extends ResolverContext {
  /** Who is calling. */
  principal: Principal;
}

/** Injects the request's principal into a resolver parameter. */
export function Caller() {
  return createParameterDecorator<CallerContext>(({ context }) => context.principal);
}
