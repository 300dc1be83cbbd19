import {
  describeEachDatabase,
  expectError,
  type GraphQLResponse,
  type TestServer,
} from "../support/harness";
import { walkConnection, type Connection } from "../support/connections";

type RoleName = "ADMIN" | "SYSTEM" | "AGENT" | "AI_AGENT";

interface LeadData {
  id: string;
  externalId: string | null;
  phone: string | null;
  name: string | null;
  status: { code: string; category: string };
  createdAt: string;
  updatedAt: string;
  version: number;
}

type LeadPage = Connection<{ id: string; name: string | null }>;

const LEAD_FIELDS = `id externalId phone name status { code category } createdAt updatedAt version`;
const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { ${LEAD_FIELDS} } }`;
const LEADS = `query($filter: LeadFilter, $first: Int, $after: String) {
  leads(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}`;

async function createLead(
  server: TestServer,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<LeadData> {
  return (await server.ok<{ createLead: LeadData }>(CREATE_LEAD, { input }, headers)).createLead;
}

function leadsPage(
  server: TestServer,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<{ leads: LeadPage }>> {
  return server.gql<{ leads: LeadPage }>(LEADS, variables, headers);
}

async function walkLeads(
  server: TestServer,
  filter: Record<string, unknown> | null,
  first: number,
): Promise<{ ids: string[]; totalCount: number; pages: number }> {
  const { nodes, totalCount, pages } = await walkConnection(async (after) => {
    const response = await leadsPage(server, { filter, first, after });
    expect(response.errors).toBeUndefined();
    return response.data!.leads;
  }, first);
  return { ids: nodes.map((n) => n.id), totalCount, pages };
}

const descendingIds = (ids: string[]) => [...ids].sort((a, b) => Number(b) - Number(a));

describeEachDatabase("createLead and lead", (server) => {
  const keys = {} as Record<RoleName, string>;
  const headersOf = (role: RoleName) => ({ "x-api-key": keys[role] });

  async function countByExternalId(externalId: string): Promise<number> {
    const response = await leadsPage(server, { filter: { externalId }, first: 100 });
    return response.data!.leads.totalCount;
  }

  beforeAll(async () => {
    keys.ADMIN = server.adminKey;
    for (const role of ["SYSTEM", "AGENT", "AI_AGENT"] as const) {
      keys[role] = await server.createKey(role);
    }
  });

  it("creates a lead with every field, in the status `new` by default", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const lead = await createLead(server, {
      externalId: "crm-1001",
      phone: "+7 (912) 345-67-89",
      name: "Иванов Пётр",
    });
    expect(lead).toMatchObject({
      externalId: "crm-1001",
      phone: "+7 (912) 345-67-89",
      name: "Иванов Пётр",
      status: { code: "new", category: "IN_PROGRESS" },
      version: 1,
    });
    expect(lead.id).toMatch(/^\d+$/);
    expect(Date.parse(lead.createdAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(lead.createdAt)).toBeLessThanOrEqual(Date.now());
    const read = await server.ok<{ lead: LeadData }>(
      `query($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} } }`,
      { id: lead.id },
    );
    expect(read.lead).toEqual(lead);
  });

  it("creates a lead with no fields at all, and several without externalId", async () => {
    const a = await createLead(server, {});
    const b = await createLead(server, { name: "No external id" });
    expect(a.externalId).toBeNull();
    expect(b.externalId).toBeNull();
    expect(a.status.code).toBe("new");
    expect(a.id).not.toBe(b.id);
  });

  it.each(["ADMIN", "SYSTEM"] as const)("lets %s create leads", async (role) => {
    const lead = await createLead(
      server,
      { externalId: `by-${role}`, statusCode: "in_progress" },
      headersOf(role),
    );
    expect(lead.status.code).toBe("in_progress");
  });

  it.each(["AGENT", "AI_AGENT"] as const)(
    "refuses createLead to %s with FORBIDDEN, writing nothing",
    async (role) => {
      const externalId = `forbidden-${role}`;
      const response = await server.gql(
        CREATE_LEAD,
        { input: { externalId, name: "Sneaky" } },
        headersOf(role),
      );
      expectError(response, "FORBIDDEN");
      expect(response.data).toBeNull();
      expect(await countByExternalId(externalId)).toBe(0);
    },
  );

  it("accepts a custom lead status of the IN_PROGRESS category to start in", async () => {
    await server.ok(
      `mutation { createLeadStatus(input: { code: "callback_queue", title: "Callback queue", category: IN_PROGRESS }) { id } }`,
    );
    const lead = await createLead(server, { statusCode: "callback_queue" });
    expect(lead.status).toEqual({ code: "callback_queue", category: "IN_PROGRESS" });
  });

  it.each(["qualified", "disqualified", "custom_target"])(
    "refuses to start a lead in %s (not IN_PROGRESS) naming statusCode",
    async (statusCode) => {
      if (statusCode === "custom_target") {
        await server.ok(
          `mutation { createLeadStatus(input: { code: "custom_target", title: "Custom target", category: QUALIFIED }) { id } }`,
        );
      }
      const externalId = `wrong-start-${statusCode}`;
      const response = await server.gql(CREATE_LEAD, { input: { externalId, statusCode } });
      expectError(response, "BAD_USER_INPUT", "statusCode");
      expect(await countByExternalId(externalId)).toBe(0);
    },
  );

  // Codes are exact: another case is another (unknown) code, on every database.
  it.each(["no_such_status", "NEW", "In_Progress"])(
    "refuses the unknown lead status %j naming statusCode",
    async (statusCode) => {
      const externalId = `unknown-start-${statusCode}`;
      const response = await server.gql(CREATE_LEAD, { input: { externalId, statusCode } });
      expectError(response, "BAD_USER_INPUT", "statusCode");
      expect(await countByExternalId(externalId)).toBe(0);
    },
  );

  it("refuses a duplicate externalId with CONFLICT naming externalId, writing nothing", async () => {
    const first = await createLead(server, { externalId: "dup-ext-1", name: "First" });
    const response = await server.gql(CREATE_LEAD, {
      input: { externalId: "dup-ext-1", name: "Second" },
    });
    const error = expectError(response, "CONFLICT", "externalId");
    expect(error.message).toContain("dup-ext-1");
    const page = (await leadsPage(server, { filter: { externalId: "dup-ext-1" } })).data!.leads;
    expect(page.totalCount).toBe(1);
    expect(page.edges[0].node).toEqual({ id: first.id, name: "First" });
  });

  it("creates exactly one lead when the same externalId arrives in parallel", async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        server.gql<{ createLead: LeadData }>(CREATE_LEAD, {
          input: { externalId: "parallel-ext", name: `Parallel ${i}` },
        }),
      ),
    );
    const created = responses.filter((r) => !r.errors);
    expect(created).toHaveLength(1);
    for (const response of responses.filter((r) => r.errors)) {
      expectError(response, "CONFLICT", "externalId");
    }
    expect(await countByExternalId("parallel-ext")).toBe(1);
  });

  it.each([
    [{ phone: "call me maybe" }, "phone"],
    [{ phone: "1".repeat(33) }, "phone"],
    [{ name: "n".repeat(256) }, "name"],
    [{ externalId: "e".repeat(256) }, "externalId"],
  ])("refuses %j naming %s", async (input, field) => {
    expectError(await server.gql(CREATE_LEAD, { input }), "BAD_USER_INPUT", field);
  });

  describe("optional fields given empty or blank", () => {
    const leadCount = async () => (await leadsPage(server, { first: 1 })).data!.leads.totalCount;

    // Leaving a field out (or null) says "none"; blank text is refused rather than read as
    // none, so a client's bug (an emptied form field, a missing CRM id) never creates a lead
    // without the identifier it meant to give.
    it.each([
      ["externalId", ""],
      ["externalId", "   "],
      ["externalId", " \t "],
      ["externalId", "\u00A0\u3000"],
      ["phone", ""],
      ["phone", "   "],
      ["name", ""],
      ["name", "   "],
      ["statusCode", ""],
      ["statusCode", "  "],
    ])("refuses %s: %j as BAD_USER_INPUT naming it, writing nothing", async (field, value) => {
      const before = await leadCount();
      const response = await server.gql(CREATE_LEAD, {
        input: { name: "Blank fields", [field]: value },
      });
      expect(response.status).toBe(200);
      const error = expectError(response, "BAD_USER_INPUT", field);
      expect(error.message).toMatch(new RegExp(`^${field} must not be empty or blank`));
      expect(await leadCount()).toBe(before);
    });

    it("names every blank field at once", async () => {
      const response = await server.gql(CREATE_LEAD, {
        input: { externalId: " ", phone: " ", name: " ", statusCode: " " },
      });
      const error = expectError(response, "BAD_USER_INPUT");
      expect(error.extensions?.fields?.map((f) => f.field)).toEqual([
        "externalId",
        "phone",
        "name",
        "statusCode",
      ]);
    });

    it("still takes every field left out or null, and trims what is given", async () => {
      const lead = await createLead(server, {
        externalId: null,
        phone: null,
        name: null,
        statusCode: null,
      });
      expect(lead).toMatchObject({ externalId: null, phone: null, name: null });
      expect(lead.status.code).toBe("new");
      const trimmed = await createLead(server, {
        externalId: " trimmed-ext ",
        name: " Trimmed ",
        statusCode: " in_progress ",
      });
      expect(trimmed).toMatchObject({ externalId: "trimmed-ext", name: "Trimmed" });
      expect(trimmed.status.code).toBe("in_progress");
    });
  });

  it("reads one lead by id: null when there is none, BAD_USER_INPUT when malformed", async () => {
    const query = `query($id: ID!) { lead(id: $id) { id } }`;
    expect(await server.ok(query, { id: "2147483000" })).toEqual({ lead: null });
    for (const id of ["abc", "0", "-3", ""]) {
      expectError(await server.gql(query, { id }), "BAD_USER_INPUT", "id");
    }
  });

  it.each(["ADMIN", "SYSTEM", "AGENT", "AI_AGENT"] as const)("lets %s read leads", async (role) => {
    const lead = await createLead(server, { externalId: `readable-${role}` });
    const one = await server.gql<{ lead: { id: string; status: { code: string } } }>(
      `query($id: ID!) { lead(id: $id) { id status { code } } }`,
      { id: lead.id },
      headersOf(role),
    );
    expect(one.errors).toBeUndefined();
    expect(one.data!.lead).toEqual({ id: lead.id, status: { code: "new" } });
    const list = await leadsPage(
      server,
      { filter: { externalId: `readable-${role}` } },
      headersOf(role),
    );
    expect(list.errors).toBeUndefined();
    expect(list.data!.leads.edges.map((e) => e.node.id)).toEqual([lead.id]);
  });
});

describeEachDatabase("leads: look-up by name, phone and externalId", (server) => {
  const created: Record<string, string> = {};

  beforeAll(async () => {
    for (const [key, input] of Object.entries({
      ivanov: { name: "Иванов Пётр Сергеевич", phone: "+7 (912) 345-67-89", externalId: "CRM-77" },
      obrien: { name: "O'Brien Ltd", phone: "+353 1 555 0101", externalId: "hub/OBR-1" },
      percent: { name: "100% sure", externalId: "pct-1" },
      hundred: { name: "100 percent", externalId: "pct-2" },
      underscore: { name: "snake_case inc", externalId: "und-1" },
      ext: { name: "Plain", externalId: "Ext_ABC_42" },
      yolka: { name: "ЁЛКА ООО", externalId: "yo-1" },
      zoe: { name: "Zoë Ångström", phone: "+44 20 7183 8750" },
      will: { name: "Will The Doer", externalId: "w-1" },
      li: { name: "Li Wei" },
    })) {
      created[key] = (await createLead(server, input)).id;
    }
  });

  async function find(filter: Record<string, unknown>) {
    const response = await leadsPage(server, { filter, first: 100 });
    expect(response.errors).toBeUndefined();
    const ids = response.data!.leads.edges.map((e) => e.node.id);
    expect(response.data!.leads.totalCount).toBe(ids.length);
    return ids;
  }
  const search = (term: string, filter: Record<string, unknown> = {}) =>
    find({ search: term, ...filter });

  const idsOf = (...keys: string[]) => descendingIds(keys.map((k) => created[k]));

  it.each([
    ["иванов", ["ivanov"]],
    ["ПЁТР", ["ivanov"]],
    ["сергеевич иванов", ["ivanov"]],
    ["ива пет", ["ivanov"]],
    ["o'brien", ["obrien"]],
    ["LTD", ["obrien"]],
    ["ёлка", ["yolka"]],
    ["елка ооо", ["yolka"]],
    ["zoe", ["zoe"]],
    ["ANGSTRÖM", ["zoe"]],
    ["100", ["percent", "hundred"]],
    ["100%", ["percent", "hundred"]],
    ["100 perc", ["hundred"]],
    ["snake_case", ["underscore"]],
    ["case", ["underscore"]],
    ["will", ["will"]],
    ["the doer", ["will"]],
    ["wei li", ["li"]],
  ])(
    "finds %j: every word begins a word of the name, case and accents ignored",
    async (term, keys) => {
      expect(await search(term)).toEqual(idsOf(...keys));
    },
  );

  it.each([
    ["ванов", "a word is matched from its start, not in its middle"],
    ["иванов пётр x", "every word must be found"],
    ["crm-77", "the external id is not searched (use externalId)"],
    ["345-67-89", "the phone is not searched (use phone)"],
    ["no lead has this", "no name has these words"],
  ])("finds nothing for %j: %s", async (term) => {
    expect(await search(term)).toEqual([]);
  });

  it.each([
    ["%", "has no word"],
    ["li", "has no word of 3 characters"],
    ["a b c d e f g h ivan", "has more than 8 words"],
  ])("refuses the search %j (it %s) with BAD_USER_INPUT naming search", async (term) => {
    const response = await leadsPage(server, { filter: { search: term } });
    expectError(response, "BAD_USER_INPUT", "search");
  });

  it("takes a name whose folded words are longer than the column, and still finds it", async () => {
    // Each "ﷺ" folds to 18 characters ("صلى الله عليه وسلم"): 15 of them to 270.
    const lead = await createLead(server, { name: "ﷺ".repeat(15), externalId: "long-fold" });
    expect(await find({ search: "عليه وسلم" })).toEqual([lead.id]);
  });

  it("combines search with the status filters", async () => {
    await server.ok(
      `mutation($id: ID!) { recordCallResult(input: { leadId: $id, callStatusCode: "qualified" }) { call { id } } }`,
      { id: created.percent },
    );
    expect(await search("100", { category: "QUALIFIED" })).toEqual(idsOf("percent"));
    expect(await search("100", { statusCode: "new" })).toEqual(idsOf("hundred"));
    expect(await search("100", { category: "DISQUALIFIED" })).toEqual([]);
  });

  it.each([
    ["+7 912 345-67-89", "ivanov"],
    ["+7 (912) 3456789", "ivanov"],
    ["0079123456789", "ivanov"],
    ["+35315550101", "obrien"],
    ["+44 (0)20 7183 8750", "zoe"],
  ])("finds the lead with the phone %j, however it is written", async (phone, key) => {
    expect(await find({ phone })).toEqual(idsOf(key));
  });

  it("shows each lead's phone in E.164 form", async () => {
    const data = await server.ok<{ lead: { phone: string; phoneE164: string } }>(
      `query($id: ID!) { lead(id: $id) { phone phoneE164 } }`,
      { id: created.ivanov },
    );
    expect(data.lead).toEqual({ phone: "+7 (912) 345-67-89", phoneE164: "+79123456789" });
  });

  it.each(["12", "+999 123", "912 345 67 89"])(
    "refuses the phone %j (not a phone number with its country) with BAD_USER_INPUT naming phone",
    async (phone) => {
      const response = await leadsPage(server, { filter: { phone } });
      expectError(response, "BAD_USER_INPUT", "phone");
    },
  );

  it("combines every filter: search, phone, externalId, status and category", async () => {
    expect(
      await find({
        search: "иван",
        phone: "+7 912 345 67 89",
        externalId: "CRM-77",
        statusCode: "new",
        category: "IN_PROGRESS",
      }),
    ).toEqual(idsOf("ivanov"));
    expect(await find({ search: "иван", externalId: "hub/OBR-1" })).toEqual([]);
    expect(await find({ search: "brien", phone: "+35315550101" })).toEqual(idsOf("obrien"));
  });

  it.each([
    ["CRM-77", ["ivanov"]],
    ["hub/OBR-1", ["obrien"]],
    ["crm-77", []],
    ["CRM-7", []],
  ])("finds the lead whose externalId is exactly %j", async (externalId, keys) => {
    expect(await find({ externalId })).toEqual(idsOf(...keys));
  });
});

describeEachDatabase("leads: pages and filters", (server) => {
  const TOTAL = 45;
  let ids: string[] = [];
  const qualifiedIds: string[] = [];
  const disqualifiedIds: string[] = [];

  beforeAll(async () => {
    const fields = Array.from(
      { length: TOTAL },
      (_, i) =>
        `l${i}: createLead(input: { name: "Page lead ${i}", externalId: "page-${i}" }) { id }`,
    );
    const data = await server.ok<Record<string, { id: string }>>(
      `mutation { ${fields.join("\n")} }`,
    );
    ids = Array.from({ length: TOTAL }, (_, i) => data[`l${i}`].id);
    const moves: string[] = [];
    ids.forEach((id, i) => {
      if (i % 3 === 0) {
        qualifiedIds.push(id);
        moves.push(
          `c${i}: recordCallResult(input: { leadId: "${id}", callStatusCode: "qualified" }) { call { id } }`,
        );
      } else if (i % 5 === 0) {
        disqualifiedIds.push(id);
        moves.push(
          `c${i}: recordCallResult(input: { leadId: "${id}", callStatusCode: "disqualified" }) { call { id } }`,
        );
      }
    });
    await server.ok(`mutation { ${moves.join("\n")} }`);
  });

  it("walks every lead exactly once, newest first, with a constant totalCount", async () => {
    const walk = await walkLeads(server, null, 10);
    expect(walk.totalCount).toBe(TOTAL);
    expect(walk.pages).toBe(5);
    expect(walk.ids).toEqual(descendingIds(ids));
  });

  it.each([1, 7, 44, 45, 46, 100])("walks the same leads with first: %i", async (first) => {
    const walk = await walkLeads(server, null, first);
    expect(walk.ids).toEqual(descendingIds(ids));
    expect(walk.pages).toBe(Math.max(1, Math.ceil(TOTAL / first)));
  });

  it("returns 20 leads by default", async () => {
    const page = (await leadsPage(server, {})).data!.leads;
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.pageInfo.hasPreviousPage).toBe(false);
  });

  it.each([
    [{ category: "QUALIFIED" }, () => qualifiedIds],
    [{ statusCode: "qualified" }, () => qualifiedIds],
    [{ category: "DISQUALIFIED" }, () => disqualifiedIds],
    [{ statusCode: "disqualified" }, () => disqualifiedIds],
    [
      { category: "IN_PROGRESS" },
      () => ids.filter((id) => !qualifiedIds.includes(id) && !disqualifiedIds.includes(id)),
    ],
    [{ statusCode: "in_progress" }, () => []],
    [{ search: "page-1" }, () => ids.filter((_, i) => String(i).startsWith("1"))],
    [
      { search: "page-1", category: "QUALIFIED" },
      () => qualifiedIds.filter((id) => String(ids.indexOf(id)).startsWith("1")),
    ],
  ])("walks the leads matching %j exactly once", async (filter, expected) => {
    const walk = await walkLeads(server, filter, 4);
    expect(walk.ids).toEqual(descendingIds(expected()));
    expect(walk.totalCount).toBe(expected().length);
  });

  it("answers an empty page with null cursors", async () => {
    const page = (await leadsPage(server, { filter: { search: "nobody-at-all" } })).data!.leads;
    expect(page).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it.each([0, -1, 101, 1000])("refuses first: %i naming first", async (first) => {
    expectError(await leadsPage(server, { first }), "BAD_USER_INPUT", "first");
  });

  it("refuses a cursor that is not one of this list naming after", async () => {
    const callCursor = Buffer.from("call:5", "utf8").toString("base64url");
    for (const after of [
      "garbage",
      "",
      "!!!",
      callCursor,
      Buffer.from("lead:x").toString("base64url"),
    ]) {
      expectError(await leadsPage(server, { after }), "BAD_USER_INPUT", "after");
    }
  });

  it("continues below the cursor when leads are added during the walk", async () => {
    const first = (await leadsPage(server, { first: 10 })).data!.leads;
    const added = await createLead(server, { name: "Added during the walk" });
    const rest: string[] = [];
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = (await leadsPage(server, { first: 10, after })).data!.leads;
      rest.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect([...first.edges.map((e) => e.node.id), ...rest]).toEqual(descendingIds(ids));
    expect(rest).not.toContain(added.id);
  });
});
