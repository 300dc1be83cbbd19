import "reflect-metadata";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { buildSchema, type NonEmptyArray } from "type-graphql";
import { projectRoot } from "../common/paths";
import type { ResolverContext } from "./context";
import { DateTimeScalar } from "./date-time";

const NO_TOPICS = {
  publish(): void {
    throw new Error("subscriptions here use their own subscribe function, not topics");
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error("subscriptions here use their own subscribe function, not topics");
  },
};

/** Where the committed SDL lives (`npm run schema` writes it). */
export const SCHEMA_FILE = path.join(projectRoot(), "schema.graphql");

export interface SchemaDefinition {
  // Resolver classes, as type-graphql takes them.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  /** Descriptions of the root types (type-graphql has no option for them). */
  queryDescription: string;
  /** Described like the other root types. */
  subscriptionDescription: string;
  mutationDescription: string;
}

/**
 * The executable schema, built from the resolvers' decorators, with input validation on. The
 * resolver instances come from the container of each request's context, so one schema serves
 * every app in the process (tests run several).
 */
export async function buildGraphQLSchema(definition: SchemaDefinition): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: definition.resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: { skipMissingProperties: false, forbidUnknownValues: true },
    emitSchemaFile: false,
    container: ({ context }) => (context as ResolverContext).container,
    // Every subscription of the schema brings its own `subscribe` (its feature's live feed over
    // the change log); type-graphql's topics are not used, yet it insists on a PubSub.
    pubSub: NO_TOPICS,
  });
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  if (query) query.description = definition.queryDescription;
  if (mutation) mutation.description = definition.mutationDescription;
  const subscription = schema.getSubscriptionType();
  if (subscription) subscription.description = definition.subscriptionDescription;
  return schema;
}
