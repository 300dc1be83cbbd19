/**
 * (b) Bare `@apollo/server` (standalone server) with a hand-written SDL schema of the same types,
 * resolving `callStatuses` from a constant: the same statuses the service returned.
 * (b') The same with Apollo's official `@apollo/server-plugin-response-cache` and a cache hint
 * for every field (`defaultMaxAge`), so identical queries are answered from its cache — what a
 * user would pick instead of a cache inside the service.
 */
import fs from "node:fs";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControl } from "@apollo/server/plugin/cacheControl";
import { startStandaloneServer } from "@apollo/server/standalone";
import responseCachePlugin from "@apollo/server-plugin-response-cache";
import { answer, exitWithRunner, reportReady } from "./ipc";

const typeDefs = /* GraphQL */ `
  enum AgentVisibility {
    ALWAYS
    AFTER_CALL_TRANSFER
    NEVER
  }
  enum StatusType {
    SYSTEM
    CUSTOM
  }
  enum LeadStatusCategory {
    IN_PROGRESS
    QUALIFIED
    DISQUALIFIED
  }
  enum Audience {
    AGENT
    AI_AGENT
  }
  scalar DateTime

  type LeadStatus {
    id: ID!
    code: String!
    title: String!
    category: LeadStatusCategory!
    color: String!
  }

  type CallStatus {
    id: ID!
    code: String!
    title: String!
    description: String
    sort: Int!
    commentRequired: Boolean!
    planningTimeRequired: Boolean!
    agentVisibility: AgentVisibility!
    showToAgent: Boolean!
    showToAiAgents: Boolean!
    type: StatusType!
    version: Int!
    createdAt: DateTime!
    updatedAt: DateTime!
    leadStatus: LeadStatus
  }

  input CallStatusFilter {
    search: String
    visibleTo: Audience
    afterCallTransfer: Boolean
    type: StatusType
    leadStatusCode: String
  }

  type Query {
    callStatuses(filter: CallStatusFilter): [CallStatus!]!
  }
`;

interface StatusRow {
  showToAiAgents: boolean;
  agentVisibility: string;
}

const STATUSES = JSON.parse(
  fs.readFileSync(process.env.BENCH_DATA_FILE ?? "", "utf8"),
) as StatusRow[];
const withCache = process.env.BENCH_RESPONSE_CACHE === "1";
let resolverCalls = 0;

const resolvers = {
  Query: {
    callStatuses: (_: unknown, args: { filter?: { visibleTo?: string } | null }) => {
      resolverCalls += 1;
      const audience = args.filter?.visibleTo;
      if (audience === "AI_AGENT") return STATUSES.filter((s) => s.showToAiAgents);
      if (audience === "AGENT") return STATUSES.filter((s) => s.agentVisibility === "ALWAYS");
      return STATUSES;
    },
  },
};

const plugins: ApolloServerPlugin[] = withCache
  ? [ApolloServerPluginCacheControl({ defaultMaxAge: 3600 }), responseCachePlugin()]
  : [];

async function main(): Promise<void> {
  const server = new ApolloServer({ typeDefs, resolvers, plugins });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  answer("stats", () => ({ resolverCalls }));
  exitWithRunner(() => server.stop());
  reportReady(Number(new URL(url).port), "/");
}

main().catch((error: unknown) => {
  process.stderr.write(`apollo baseline failed: ${String(error)}\n`);
  process.exit(1);
});
