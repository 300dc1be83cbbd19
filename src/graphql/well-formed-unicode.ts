import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError } from "graphql";
import { badUserInput } from "../common/errors";
import { isWellFormed, NOT_WELL_FORMED as MESSAGE } from "../common/text";

/** The dotted path (below the variable) of the first string in `value` that is not well formed. */
function illFormedPath(value: unknown): string | undefined {
  // Iterative: variables may nest deeper than the call stack.
  const stack: Array<[unknown, string]> = [[value, ""]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (typeof current === "string") {
      if (!isWellFormed(current)) return at;
    } else if (typeof current === "object" && current !== null) {
      for (const [key, child] of Object.entries(current)) {
        const path = at === "" ? key : `${at}.${key}`;
        if (!isWellFormed(key)) return path;
        stack.push([child, path]);
      }
    }
  }
  return undefined;
}

function refuse(field: string): never {
  const message = `${field} ${MESSAGE}`;
  throw new GraphQLError(message, {
    originalError: badUserInput(field, message),
    extensions: { http: { status: 400 } },
  });
}

/**
 * Refuses strings in variables that are not well-formed Unicode with BAD_USER_INPUT naming the
 * field, before anything runs. (In the document itself, graphql-js's parser already refuses
 * them: GRAPHQL_PARSE_FAILED.) Stored as UTF-8 they would silently become U+FFFD, so two
 * different inputs (idempotency keys, codes) would turn into the same one.
 */
export function wellFormedUnicodePlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          for (const [name, value] of Object.entries(request.variables ?? {})) {
            const path = illFormedPath(value);
            if (path !== undefined) refuse(path === "" ? name : path);
          }
        },
      };
    },
  };
}
