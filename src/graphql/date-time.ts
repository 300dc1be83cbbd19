import { GraphQLError, GraphQLScalarType, type ValueNode } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { isWithinStorableRange } from "../common/time";

const RANGE_MESSAGE = "DateTime must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

function checked(date: unknown): Date {
  if (!(date instanceof Date) || !isWithinStorableRange(date))
    throw new GraphQLError(RANGE_MESSAGE);
  return date;
}

/**
 * graphql-scalars' `DateTime` (RFC 3339 strings), with two input guards: only a string is
 * accepted from variables (its own error message would echo any value, however large or deeply
 * nested), and the instant must be one the databases can store (years 1 to 9999 in UTC).
 */
export const DateTimeScalar = new GraphQLScalarType<Date, Date>({
  ...DateTimeResolver.toConfig(),
  parseValue(value: unknown): Date {
    if (typeof value !== "string") {
      throw new GraphQLError(
        'DateTime must be a string in RFC 3339 form, such as "2026-01-31T09:00:00Z"',
      );
    }
    return checked(DateTimeResolver.parseValue(value));
  },
  parseLiteral(ast: ValueNode, variables?: Record<string, unknown> | null): Date {
    return checked(DateTimeResolver.parseLiteral(ast, variables));
  },
});
