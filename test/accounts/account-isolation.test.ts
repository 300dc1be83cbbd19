/**
 * Account isolation, over HTTP, on both databases. Two accounts: A ("alpha_secret"), whose every
 * title, name and comment carries the marker ALPHA-SECRET, and B ("bravo"). B's keys are aimed at
 * every field of Query and Mutation — operations generated from the schema itself, with A's ids,
 * codes, cursors and actors in their arguments — and must never see A's rows, change them, or
 * learn that they exist: an A value must be answered exactly like a value that exists nowhere.
 * Then what needs a story of its own: equal codes and external ids, lists, the AI tool and the
 * warnings, idempotency keys, the platform operator, turning an account off, and races.
 */
import { GraphQLObjectType } from "graphql";
import { buildAppSchema } from "../../src/app";
import { describeEachDatabaseKind, expectError, type GraphQLResponse } from "../support/harness";
import {
  MARKER,
  WALK_ROLES,
  PLATFORM_FIELDS,
  ROLES,
  Party,
  type Connection,
  inventory,
  SNAPSHOT,
} from "./isolation/parties";
import {
  type World,
  pascal,
  SchemaFacts,
  type Args,
  type Variant,
  type Operation,
  generateOperations,
} from "./isolation/operations";
import { materialize, outcome, traces, errorsWithoutEcho, malformed } from "./isolation/judging";
import {
  CREATE_CALL_STATUS,
  CREATE_LEAD_STATUS,
  CREATE_LEAD,
  RECORD,
  type Recorded,
  twoAccounts,
} from "./isolation/two-accounts";

describeEachDatabaseKind("account isolation", (kind) => {
  const fixture = twoAccounts(kind);
  const { server, A, B, bOwn, gqlAs, createCallStatus, createLead, record } = fixture;

  describe("the same codes, external ids and idempotency keys in both accounts", () => {
    it("gives each account its own status for a code both have", async () => {
      for (const [party, title, leadTitle] of [
        [A, "ALPHA-SECRET Shared Outcome", "ALPHA-SECRET Shared Lead Status"],
        [B, "Bravo Shared Outcome", "Bravo Shared Lead Status"],
      ] as const) {
        for (const role of ROLES) {
          const data = await gqlAs<{
            callStatus: { id: string; title: string };
            leadStatus: { id: string; title: string };
          }>(
            party.as(role),
            `{ callStatus(code: "shared_code") { id title } leadStatus(code: "shared_lead_code") { id title } }`,
          );
          expect(data.callStatus).toEqual({ id: party.callStatusIds.get("shared_code"), title });
          expect(data.leadStatus).toEqual({
            id: party.leadStatusIds.get("shared_lead_code"),
            title: leadTitle,
          });
        }
      }
      // A's shared_code moves leads to A's shared_lead_code; B's links nothing.
      const linked = `{ callStatuses(filter: { leadStatusCode: "shared_lead_code" }) { id } }`;
      expect(await gqlAs(A.as("ADMIN"), linked)).toEqual({
        callStatuses: [{ id: A.callStatusIds.get("shared_code") }],
      });
      expect(await gqlAs(B.as("ADMIN"), linked)).toEqual({ callStatuses: [] });
    });

    it("uses the caller's own status when writing with a code both have", async () => {
      // A's shared_lead_code is QUALIFIED, where no lead may start; B's is IN_PROGRESS.
      const lead = await createLead(B, {
        name: "Bravo Lead Two",
        statusCode: "shared_lead_code",
      });
      expect(lead.status).toEqual({
        id: B.leadStatusIds.get("shared_lead_code"),
        code: "shared_lead_code",
      });
      const linkedId = await createCallStatus(B, {
        code: "bravo_linked",
        title: "Bravo Linked",
        leadStatusCode: "shared_lead_code",
      });
      const linked = await gqlAs<{ callStatus: { leadStatus: { id: string } } }>(
        B.as("ADMIN"),
        `query($id: ID!) { callStatus(id: $id) { leadStatus { id } } }`,
        { id: linkedId },
      );
      expect(linked.callStatus.leadStatus.id).toBe(B.leadStatusIds.get("shared_lead_code"));
      const result = await record(B, B.as("SYSTEM"), {
        leadId: lead.id,
        callStatusCode: "shared_code",
      });
      expect(result.call.status).toEqual({
        id: B.callStatusIds.get("shared_code"),
        code: "shared_code",
        title: "Bravo Shared Outcome",
      });
    });

    it("records two calls for an idempotency key used in both accounts", async () => {
      const bLead = B.leadIds[0];
      const aCalls = [...A.callIds];
      for (const [headers, key] of [
        [B.as("SYSTEM"), "shared-idempotency-key"],
        // The same subject in both accounts: the same actor id, so the same stored hash.
        [B.bearer, "shared-token-key"],
        [B.as("AI_AGENT"), "shared-ai-key"],
      ] as const) {
        const input = { leadId: bLead, callStatusCode: "shared_code", idempotencyKey: key };
        const first = await record(B, headers, input);
        expect(aCalls).not.toContain(first.call.id);
        expect(first.lead.id).toBe(bLead);
        expect(first.call.status?.title).toBe("Bravo Shared Outcome");
        // A retry in B replays B's call, not A's.
        const again = await record(B, headers, input);
        expect(again.call.id).toBe(first.call.id);
      }
      // And a retry in A still replays A's.
      const replay = await record(A, A.bearer, {
        leadId: A.leadIds[1],
        callStatusCode: "shared_code",
        comment: "ALPHA-SECRET via a token",
        idempotencyKey: "shared-token-key",
      });
      expect(replay.call.id).toBe(aCalls[1]);
    });

    it("shows every caller its own account", async () => {
      for (const party of [A, B]) {
        for (const headers of [...ROLES.map((role) => party.as(role)), party.bearer]) {
          const { viewer } = await gqlAs<{ viewer: { account: { id: string; code: string } } }>(
            headers,
            `{ viewer { account { id code } } }`,
          );
          expect(viewer.account).toEqual({ id: party.accountId, code: party.code });
        }
      }
      const { viewer } = await gqlAs(fixture.platform, `{ viewer { role account { code } } }`);
      expect(viewer).toEqual({ role: "PLATFORM", account: null });
    });
  });

  describe("lists", () => {
    type Lists = {
      callStatuses: Array<{ id: string; code: string; title: string }>;
      leadStatuses: Array<{ id: string; code: string; title: string }>;
      leads: Connection<{ id: string; name: string | null }>;
      calls: Connection<{ id: string; comment: string | null; lead: { id: string } }>;
    };
    const LISTS = `{
      callStatuses { id code title }
      leadStatuses { id code title }
      leads(first: 100) { totalCount edges { node { id name } } pageInfo { endCursor } }
      calls(first: 100) { totalCount edges { node { id comment lead { id } } } pageInfo { endCursor } }
    }`;
    const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id).sort();
    const nodes = <T>(list: Connection<T>) => list.edges.map((edge) => edge.node);

    it.each(ROLES)("hold only the account's own rows, as %s", async (role) => {
      for (const [party, other] of [
        [A, B],
        [B, A],
      ] as const) {
        const data = await gqlAs<Lists>(party.as(role), LISTS);
        // None of the other's: statuses it made, leads, calls.
        for (const id of ids(data.callStatuses)) {
          expect([...other.callStatusIds.values()]).not.toContain(id);
        }
        for (const id of ids(data.leadStatuses)) {
          expect([...other.leadStatusIds.values()]).not.toContain(id);
        }
        for (const id of ids(nodes(data.leads))) expect(other.leadIds).not.toContain(id);
        for (const id of ids(nodes(data.calls))) expect(other.callIds).not.toContain(id);
        expect(ids(nodes(data.leads))).toEqual([...party.leadIds].sort());
        expect(data.leads.totalCount).toBe(party.leadIds.length);
        expect(ids(nodes(data.calls))).toEqual([...party.callIds].sort());
        expect(data.calls.totalCount).toBe(party.callIds.length);
        for (const call of nodes(data.calls)) expect(party.leadIds).toContain(call.lead.id);
        // Every code once: the account's system statuses and its own, no other's.
        const leadCodes = data.leadStatuses.map((s) => s.code).sort();
        expect(leadCodes).toEqual(
          [...fixture.systemLeadCodes, ...party.leadStatusIds.keys()].sort(),
        );
        const callCodes = data.callStatuses.map((s) => s.code);
        expect(new Set(callCodes).size).toBe(callCodes.length);
        for (const code of party.callStatusIds.keys()) {
          if (role === "ADMIN" || role === "SYSTEM") expect(callCodes).toContain(code);
        }
        for (const code of callCodes) {
          expect([...fixture.systemCallCodes, ...party.callStatusIds.keys()]).toContain(code);
        }
        for (const row of [...data.callStatuses, ...data.leadStatuses]) {
          if (party.callStatusIds.has(row.code) || party.leadStatusIds.has(row.code)) {
            expect([
              party.callStatusIds.get(row.code),
              party.leadStatusIds.get(row.code),
            ]).toContain(row.id);
          }
        }
        if (party === B) expect(JSON.stringify(data)).not.toMatch(MARKER);
      }
    });

    it("of API keys and of the audit trail hold only the account's own", async () => {
      const inventories = { A: await inventory(server, A), B: await inventory(server, B) };
      for (const [party, mine, theirs] of [
        [A, inventories.A, inventories.B],
        [B, inventories.B, inventories.A],
      ] as const) {
        expect([...mine.ids.get("ApiKey")!].sort()).toEqual([...party.keyIds].sort());
        for (const type of mine.ids.keys()) {
          const overlap = [...mine.ids.get(type)!].filter((id) => theirs.ids.get(type)!.has(id));
          expect({ type, overlap }).toEqual({ type, overlap: [] });
        }
        const { auditLog } = await gqlAs<{
          auditLog: Connection<{ entityType: string; entityId: string; changes: unknown }>;
        }>(
          party.as("ADMIN"),
          `{ auditLog(first: 100) { totalCount edges { node { entityType entityId changes } } } }`,
        );
        expect(auditLog.totalCount).toBeGreaterThan(5);
        for (const entry of nodes(auditLog)) {
          // Every entry is about a row of the account's own (or the account itself).
          expect(mine.ids.get(pascal(entry.entityType))).toContain(entry.entityId);
        }
        if (party === B) expect(JSON.stringify(auditLog)).not.toMatch(MARKER);
        else expect(JSON.stringify(auditLog)).toMatch(MARKER);
      }
    });
  });

  describe("the AI tool and the configuration warnings", () => {
    const TOOL = `query($format: ToolFormat!, $audience: Audience) {
      callOutcomeTool(format: $format, audience: $audience) {
        name description parameters definition revision allowedCodes
      }
    }`;

    it("offer B only B's statuses", async () => {
      const { callStatuses } = await gqlAs<{ callStatuses: Array<{ code: string }> }>(
        B.as("ADMIN"),
        `{ callStatuses(filter: { visibleTo: AI_AGENT }) { code } }`,
      );
      for (const format of ["OPENAI", "ANTHROPIC", "JSON_SCHEMA"]) {
        for (const [headers, audience] of [
          [B.as("AI_AGENT"), null],
          [B.as("ADMIN"), "AI_AGENT"],
          [B.as("ADMIN"), "AGENT"],
        ] as const) {
          const data = await gqlAs<{ callOutcomeTool: { allowedCodes: string[] } }>(headers, TOOL, {
            format,
            audience,
          });
          const textOf = JSON.stringify(data);
          expect(textOf).not.toMatch(MARKER); // also A's codes: alpha_secret_…
          if (audience !== "AGENT") {
            expect(data.callOutcomeTool.allowedCodes).toEqual(callStatuses.map((s) => s.code));
          }
        }
      }
      // A's tool does show A's (so the check above could fail).
      const own = await gqlAs(A.as("AI_AGENT"), TOOL, { format: "OPENAI" });
      expect(JSON.stringify(own)).toMatch(MARKER);
    });

    it("warn B only about B's statuses", async () => {
      const WARNINGS = `{ configurationWarnings { kind message callStatusCodes audience } }`;
      const bWarnings = await gqlAs(B.as("ADMIN"), WARNINGS);
      expect(JSON.stringify(bWarnings)).not.toMatch(MARKER);
      const aWarnings = await gqlAs<{
        configurationWarnings: Array<{ kind: string; callStatusCodes: string[] }>;
      }>(A.as("ADMIN"), WARNINGS);
      expect(aWarnings.configurationWarnings).toContainEqual(
        expect.objectContaining({
          kind: "AI_STATUS_WITHOUT_DESCRIPTION",
          callStatusCodes: ["alpha_secret_undescribed"],
        }),
      );
    });
  });

  describe("every Query and Mutation field, aimed at A's data by B", () => {
    let facts: SchemaFacts;
    let world: World;
    let generated: Operation[] | undefined;
    /** Every field's operation (made once; a field it cannot build fails every test here). */
    const operations = () => (generated ??= generateOperations(facts, world));
    let before: unknown;
    /** A's data as its ADMIN reads it, and the codes of any errors (never thrown here). */
    const snapshot = async () => {
      const response = await server.gql(SNAPSHOT, undefined, A.as("ADMIN"));
      const errors = response.errors?.map((e) => [e.path?.join("."), e.extensions?.code]);
      return { errors, data: response.data };
    };

    beforeAll(async () => {
      facts = new SchemaFacts(await buildAppSchema());
      const aInventory = await inventory(server, A);
      const bInventory = await inventory(server, B);
      // Only what is A's alone: a code or an external id B has too is B's own for B (tested
      // above).
      for (const [type, codes] of aInventory.codes) {
        const theirs = new Set(bInventory.codes.get(type));
        aInventory.codes.set(
          type,
          codes.filter((code) => !theirs.has(code)),
        );
      }
      aInventory.externalIds = aInventory.externalIds.filter(
        (id) => !bInventory.externalIds.includes(id),
      );
      const first = (type: string) => [...bInventory.ids.get(type)!][0];
      world = {
        a: aInventory,
        ownIds: {
          Account: B.accountId,
          CallStatus: bOwn.targetCallStatus,
          LeadStatus: bOwn.targetLeadStatus,
          Lead: B.leadIds[0],
          Call: B.callIds[0],
          // The walk revokes it: never a key it runs with.
          ApiKey: bOwn.spareKey,
          AuditEntry: first("AuditEntry"),
          Change: first("Change"),
          WebhookEndpoint: bOwn.webhookEndpoint,
        },
        ownCodes: { Account: B.code, CallStatus: "bravo_call", LeadStatus: "bravo_lead" },
        ownActor: `key:${B.keys.ADMIN.id}`,
        ownExternalId: "shared-external-id",
        future: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
      };
      before = await snapshot();
    });

    it("builds an operation for every field, with A's values in its arguments", () => {
      const fields = (type: GraphQLObjectType | null | undefined) =>
        Object.keys(type?.getFields() ?? {});
      expect(
        operations()
          .map((op) => op.field)
          .sort(),
      ).toEqual(
        [...fields(facts.schema.getQueryType()), ...fields(facts.schema.getMutationType())].sort(),
      );
      // A's ids, codes, cursors and actors are all aimed somewhere.
      const probes = operations().flatMap((op) => op.variants.filter((v) => v.twin));
      expect(probes.length).toBeGreaterThan(50);
      // ISOLATION_REPORT=1 prints every operation and its variables, and the request counts.
      if (process.env.ISOLATION_REPORT) {
        for (const op of operations()) {
          console.log(
            op.document +
              "\n" +
              op.variants
                .map((v) => `  ${v.label} ${JSON.stringify(v.variables)} ${JSON.stringify(v.twin)}`)
                .join("\n"),
          );
        }
      }
    });

    let requests = 0;

    async function run(headers: Record<string, string>, op: Operation, variables: Args) {
      const sent = materialize({ ...variables, ...op.nested }) as Args;
      const response = await server.gql(op.document, sent, headers);
      requests += 1;
      return { sent, response };
    }

    /** Runs every variant of every operation as `headers`; returns what went wrong. */
    async function walk(
      who: string,
      headers: Record<string, string>,
      fields: (op: Operation) => boolean,
      judge: (
        op: Operation,
        variant: Variant,
        response: GraphQLResponse,
        sent: Args,
      ) => Promise<string[]>,
    ): Promise<{ problems: string[]; requests: number }> {
      const problems: string[] = [];
      const sentBefore = requests;
      // Queries first: what the mutations change must not hide what the queries would show.
      const chosen = operations().filter(fields);
      const ordered = [
        ...chosen.filter((op) => op.root === "Query"),
        ...chosen.filter((op) => op.root === "Mutation"),
      ];
      for (const op of ordered) {
        for (const variant of op.variants) {
          const { sent, response } = await run(headers, op, variant.variables);
          const found = await judge(op, variant, response, sent);
          for (const problem of found) {
            problems.push(`${who} ${op.root}.${op.field} [${variant.label}]: ${problem}`);
          }
        }
      }
      return { problems, requests: requests - sentBefore };
    }

    it.each(WALK_ROLES)("never shows, changes or confirms A's data to B's %s key", async (role) => {
      const headers = B.as(role);
      const { problems, requests } = await walk(
        `B's ${role}`,
        headers,
        () => true,
        async (op, variant, response, sent) => {
          const found: string[] = [];
          const broken = malformed(response);
          if (broken) found.push(`answered ${broken}`);
          found.push(...traces(response.data, world.a, facts).map((t) => `data shows ${t}`));
          const errors = errorsWithoutEcho(response, sent);
          if (MARKER.test(errors)) found.push(`an error shows A's marker: ${errors}`);
          for (const prefix of world.a.prefixes) {
            if (errors.includes(prefix)) found.push(`an error shows A's key prefix ${prefix}`);
          }
          if (variant.twin) {
            const twin = await run(headers, op, variant.twin);
            const probe = outcome(response, op.field);
            const missing = outcome(twin.response, op.field);
            if (probe !== missing) {
              found.push(
                probe.includes("FORBIDDEN")
                  ? `FORBIDDEN for A's value but ${missing} for a missing one: that confirms it exists`
                  : `answered ${probe} for A's value but ${missing} for a missing one`,
              );
            }
            if (op.root === "Mutation" && probe === "data") {
              found.push(`succeeded with A's value: ${JSON.stringify(response.data)}`);
            }
          }
          return found;
        },
      );
      if (process.env.ISOLATION_REPORT) {
        console.log(
          `account isolation [${kind}]: ${operations().length} fields, ${requests} requests as B's ${role}`,
        );
      }
      expect(problems).toEqual([]);
    });

    it("leaves A's data exactly as it was", async () => {
      expect(before).toEqual(expect.objectContaining({ errors: undefined }));
      expect(await snapshot()).toEqual(before);
      // And every key of A's still works.
      for (const role of ROLES) {
        await expect(gqlAs(A.as(role), `{ viewer { role } }`)).resolves.toEqual({
          viewer: { role },
        });
      }
    });

    it("gives the platform operator nothing of any account's data", async () => {
      const { problems } = await walk(
        "PLATFORM",
        fixture.platform,
        (op) => !PLATFORM_FIELDS.includes(op.field),
        async (op, _variant, response) => {
          const broken = malformed(response);
          if (broken) return [`answered ${broken}`];
          const answer = outcome(response, op.field);
          return answer === "FORBIDDEN"
            ? []
            : [`answered ${answer}: ${JSON.stringify(response.data).slice(0, 300)}`];
        },
      );
      expect(problems).toEqual([]);
    });
  });

  describe("the platform operator", () => {
    it("sees every account, and no account's data", async () => {
      const { accounts } = await gqlAs<{ accounts: Array<{ code: string }> }>(
        fixture.platform,
        `{ accounts { id code name active } }`,
      );
      expect(accounts.map((a) => a.code)).toEqual(
        expect.arrayContaining(["default", A.code, B.code]),
      );
      for (const query of [
        `{ callStatuses { id } }`,
        `{ leadStatuses { id } }`,
        `{ leads { totalCount } }`,
        `{ calls { totalCount } }`,
        `{ apiKeys { id } }`,
        `{ auditLog { totalCount } }`,
        `{ configurationWarnings { kind } }`,
        `{ callOutcomeTool(format: OPENAI) { revision } }`,
      ]) {
        expectError(await server.gql(query, undefined, fixture.platform), "FORBIDDEN");
      }
      // B's ADMIN, in turn, may not list accounts.
      expectError(await server.gql(`{ accounts { code } }`, undefined, B.as("ADMIN")), "FORBIDDEN");
    });
  });

  describe("an account turned off", () => {
    const UPDATE = `mutation($id: ID!, $active: Boolean!) { updateAccount(id: $id, input: { active: $active }) { code active } }`;
    const credentials = (party: Party) => [...ROLES.map((role) => party.as(role)), party.bearer];

    it("refuses all of its credentials with 401 while B's keep working, until turned on", async () => {
      // Used just before: cached by the key service.
      for (const headers of [...credentials(A), ...credentials(B)]) {
        await gqlAs(headers, `{ viewer { role } }`);
      }
      const off = await gqlAs(fixture.platform, UPDATE, { id: A.accountId, active: false });
      expect(off).toEqual({ updateAccount: { code: A.code, active: false } });
      try {
        for (const headers of credentials(A)) {
          const response = await server.gql(`{ viewer { role } }`, undefined, headers);
          expect(response.status).toBe(401);
          expectError(response, "UNAUTHENTICATED");
        }
        for (const headers of credentials(B)) {
          const response = await server.gql(`{ viewer { account { code } } }`, undefined, headers);
          expect(response.status).toBe(200);
          expect(response.data).toEqual({ viewer: { account: { code: B.code } } });
        }
      } finally {
        await gqlAs(fixture.platform, UPDATE, { id: A.accountId, active: true });
      }
      for (const headers of credentials(A)) {
        const { viewer } = await gqlAs(headers, `{ viewer { account { code } } }`);
        expect(viewer).toEqual({ account: { code: A.code } });
      }
    });
  });

  describe("at the same moment in both accounts", () => {
    it("creates the same new codes and external ids in both", async () => {
      for (let round = 1; round <= 5; round += 1) {
        const code = `race_code_${round}`;
        const answers = await Promise.all(
          [A, B].flatMap((party) => [
            server.gql(
              CREATE_CALL_STATUS,
              { input: { code, title: `Race ${round}` } },
              party.as("ADMIN"),
            ),
            server.gql(
              CREATE_LEAD_STATUS,
              { input: { code, title: `Race ${round}`, category: "IN_PROGRESS" } },
              party.as("ADMIN"),
            ),
            server.gql(CREATE_LEAD, { input: { externalId: `race-${round}` } }, party.as("SYSTEM")),
          ]),
        );
        for (const answer of answers) expect(answer.errors).toBeUndefined();
        const [aCall, aLeadStatus, aLead, bCall, bLeadStatus, bLead] = answers.map(
          (answer) => Object.values(answer.data!)[0] as { id: string },
        );
        expect(aCall.id).not.toBe(bCall.id);
        expect(aLeadStatus.id).not.toBe(bLeadStatus.id);
        expect(aLead.id).not.toBe(bLead.id);
        for (const [party, call, leadStatus] of [
          [A, aCall, aLeadStatus],
          [B, bCall, bLeadStatus],
        ] as const) {
          const data = await gqlAs(
            party.as("ADMIN"),
            `query($code: String!) { callStatus(code: $code) { id } leadStatus(code: $code) { id } }`,
            { code },
          );
          expect(data).toEqual({ callStatus: { id: call.id }, leadStatus: { id: leadStatus.id } });
        }
      }
    });

    it("records two calls for the same idempotency key", async () => {
      for (let round = 1; round <= 5; round += 1) {
        for (const [aHeaders, bHeaders] of [
          [A.bearer, B.bearer], // the same actor id in both
          [A.as("SYSTEM"), B.as("SYSTEM")],
        ]) {
          const key = `race-key-${round}-${aHeaders === A.bearer ? "token" : "key"}`;
          const [a, b] = await Promise.all(
            [
              [aHeaders, A.leadIds[0]],
              [bHeaders, B.leadIds[0]],
            ].map(([headers, leadId]) =>
              server.gql<Recorded>(
                RECORD,
                { input: { leadId, callStatusCode: "shared_code", idempotencyKey: key } },
                headers as Record<string, string>,
              ),
            ),
          );
          expect(a.errors).toBeUndefined();
          expect(b.errors).toBeUndefined();
          const aCall = a.data!.recordCallResult;
          const bCall = b.data!.recordCallResult;
          expect(aCall.call.id).not.toBe(bCall.call.id);
          expect(aCall.lead.id).toBe(A.leadIds[0]);
          expect(bCall.lead.id).toBe(B.leadIds[0]);
          expect(aCall.call.status?.id).toBe(A.callStatusIds.get("shared_code"));
          expect(bCall.call.status?.id).toBe(B.callStatusIds.get("shared_code"));
        }
      }
    });
  });
});
