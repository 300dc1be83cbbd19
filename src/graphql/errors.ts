/**
 * How every error leaves the GraphQL endpoint: a stable `extensions.code`, field details for bad
 * input, and never a stack trace, SQL text or driver message.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { HeaderMap } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { ValidationError } from "class-validator";
import { INTERNAL_ERROR_MESSAGE, type FieldError } from "../common/errors";
import { domainErrorOf } from "../db/errors";

/** Apollo's own codes for problems with the request itself; they pass through unchanged. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  // A subscription over the limits of its connection or credential (graphql/subscriptions.ts).
  "TOO_MANY_SUBSCRIPTIONS",
]);

/** Flattens class-validator's nested errors into one entry per failed field (first message). */
export function fieldErrorsFromValidation(errors: ValidationError[], prefix = ""): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    // "cannot be null" explains the other failures of the same field, so it wins
    const message = constraints.isDefined ?? Object.values(constraints)[0];
    if (message) result.push({ field, message });
    if (error.children?.length) result.push(...fieldErrorsFromValidation(error.children, field));
  }
  return result;
}

/**
 * The input field a graphql-js variable coercion message is about, relative to the variable:
 * `Variable "$input" got invalid value 1.5 at "input.sort"; …` → `sort`;
 * `…; Field "type" is not defined by type "CreateCallStatusInput".` → `type`;
 * `…; Field "title" of required type "String!" was not provided.` → `title`.
 */
function fieldFromCoercionMessage(message: string): string | undefined {
  const variable = /^Variable "\$([^"]+)"/.exec(message)?.[1];
  if (!variable) return undefined;
  const segments = (/ at "([^"]+)"/.exec(message)?.[1] ?? variable).split(".").slice(1);
  const named = /Field "([^"]+)" (?:is not defined by type|of required type)/.exec(message)?.[1];
  if (named) segments.push(named);
  return segments.length > 0 ? segments.join(".") : variable;
}

function withFields(fields: FieldError[]): { fields: FieldError[] } | Record<string, never> {
  return fields.length > 0 ? { fields } : {};
}

/**
 * Apollo's `formatError`: every error leaves with a stable `extensions.code`, field details for
 * bad input, and never a stack trace, SQL text or driver message.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };

  // Errors thrown before execution (plugins) carry the domain error as their original.
  const domain =
    domainErrorOf(original) ??
    (original instanceof GraphQLError ? domainErrorOf(original.originalError) : undefined);
  if (domain) {
    return {
      ...base,
      message: domain.message,
      extensions: { ...domain.details, code: domain.code, ...withFields(domain.fields) },
    };
  }

  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    const validationErrors = original.extensions?.validationErrors;
    if (code === "BAD_USER_INPUT" && Array.isArray(validationErrors)) {
      const fields = fieldErrorsFromValidation(validationErrors as ValidationError[]);
      const message =
        fields.length === 1
          ? `Invalid input: ${fields[0].message}`
          : `Invalid input: ${fields.map((f) => f.message).join("; ")}`;
      return { ...base, message, extensions: { code: "BAD_USER_INPUT", fields } };
    }
    if (typeof code === "string" && REQUEST_ERROR_CODES.has(code)) {
      // graphql-armor words its limits as syntax errors; they are not.
      const message = formatted.message.replace(
        /^Syntax Error: (?=.*(?:limit|Cost))/,
        "Query rejected: ",
      );
      const field =
        code === "BAD_USER_INPUT" ? fieldFromCoercionMessage(formatted.message) : undefined;
      return {
        ...base,
        message,
        extensions: {
          code,
          ...(field ? { fields: [{ field, message: formatted.message }] } : {}),
        },
      };
    }
    if (code === "UNAUTHENTICATED" || code === "FORBIDDEN" || code === "SERVICE_UNAVAILABLE") {
      return { ...base, message: formatted.message, extensions: { code } };
    }
  }

  return {
    ...base,
    message: INTERNAL_ERROR_MESSAGE,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** The `extensions.code` an error reaches the client with. */
export function clientErrorCode(error: unknown): string {
  const code = formatGraphQLError({ message: "" }, error).extensions?.code;
  return typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
}

/**
 * The error a request that could not be authenticated is answered with, for the whole response:
 * UNAUTHENTICATED as HTTP 401 with a `WWW-Authenticate` challenge; a credential that could not be
 * checked (database away) as SERVICE_UNAVAILABLE, HTTP 503 with `Retry-After`. Anything else is
 * returned as it is (and masked as an internal error).
 */
export function authenticationFailure(error: unknown): unknown {
  const domain = domainErrorOf(error);
  if (domain?.code === "UNAUTHENTICATED") {
    return new GraphQLError(domain.message, {
      extensions: {
        code: "UNAUTHENTICATED",
        http: {
          status: 401,
          headers: new HeaderMap([["www-authenticate", 'Bearer realm="graphql"']]),
        },
      },
    });
  }
  if (domain?.code === "SERVICE_UNAVAILABLE") {
    return new GraphQLError(domain.message, {
      extensions: {
        code: "SERVICE_UNAVAILABLE",
        http: { status: 503, headers: new HeaderMap([["retry-after", "5"]]) },
      },
    });
  }
  return error;
}

/** graphql-js's hints ("Did you mean the enum value "ADMIN"?"), which reveal the schema. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const fields = formatted.extensions?.fields as FieldError[] | undefined;
  return {
    ...formatted,
    message: formatted.message.replace(SUGGESTION, ""),
    extensions: {
      ...formatted.extensions,
      ...(fields
        ? { fields: fields.map((f) => ({ ...f, message: f.message.replace(SUGGESTION, "") })) }
        : {}),
    },
  };
}

/**
 * Apollo's `formatError`. Without `suggestions` (whenever introspection is off), no message
 * suggests a field, type, argument or enum value: they would give away the schema that turning
 * introspection off hides.
 */
export function errorFormatter(options: { suggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatGraphQLError(formatted, error);
    return options.suggestions ? result : withoutSuggestions(result);
  };
}
