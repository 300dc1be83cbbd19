import "reflect-metadata";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { buildSchema } from "type-graphql";
import { CallStatusResolver } from "../call-statuses/call-status.resolver";
import { LeadStatusResolver } from "../lead-statuses/lead-status.resolver";
import { projectRoot } from "../common/paths";

/** Where the committed SDL lives (`npm run schema` writes it). */
export const SCHEMA_FILE = path.join(projectRoot(), "schema.graphql");

let cached: Promise<GraphQLSchema> | undefined;

/** The executable schema, built once per process from the resolvers' decorators. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [CallStatusResolver, LeadStatusResolver],
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validate: { skipMissingProperties: false, forbidUnknownValues: true },
    emitSchemaFile: false,
  }).then((schema) => {
    // type-graphql has no option for the root types' descriptions.
    const query = schema.getQueryType();
    const mutation = schema.getMutationType();
    if (query) query.description = "Reading call statuses and lead statuses.";
    if (mutation) {
      mutation.description =
        "Creating and changing call statuses and lead statuses. Nothing is ever deleted: hide a call status by turning its visibility off.";
    }
    return schema;
  });
  return cached;
}
