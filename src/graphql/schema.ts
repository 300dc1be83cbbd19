import "reflect-metadata";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { DateTimeScalar } from "./date-time";
import { buildSchema } from "type-graphql";
import { AiResolver } from "../ai/ai.resolver";
import {
  AuditResolver,
  CallStatusHistoryResolver,
  LeadStatusHistoryResolver,
} from "../audit/audit.resolver";
import { ApiKeyResolver } from "../auth/api-key.resolver";
import { CallResolver } from "../calls/call.resolver";
import { LeadResolver } from "../leads/lead.resolver";
import { CallStatusResolver } from "../statuses/call-status.resolver";
import { LeadStatusResolver } from "../statuses/lead-status.resolver";
import { projectRoot } from "../common/paths";

/** Where the committed SDL lives (`npm run schema` writes it). */
export const SCHEMA_FILE = path.join(projectRoot(), "schema.graphql");

let cached: Promise<GraphQLSchema> | undefined;

/** The executable schema, built once per process from the resolvers' decorators. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: [
      CallStatusResolver,
      LeadStatusResolver,
      ApiKeyResolver,
      LeadResolver,
      CallResolver,
      AiResolver,
      AuditResolver,
      CallStatusHistoryResolver,
      LeadStatusHistoryResolver,
    ],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: { skipMissingProperties: false, forbidUnknownValues: true },
    emitSchemaFile: false,
  }).then((schema) => {
    // type-graphql has no option for the root types' descriptions.
    const query = schema.getQueryType();
    const mutation = schema.getMutationType();
    if (query)
      query.description =
        "Reading call statuses, lead statuses, leads, calls, API keys and the audit trail.";
    if (mutation) {
      mutation.description =
        "Managing call statuses, lead statuses and API keys, creating leads and recording call results. Statuses are never deleted: hide a call status by turning its visibility off.";
    }
    return schema;
  });
  return cached;
}
