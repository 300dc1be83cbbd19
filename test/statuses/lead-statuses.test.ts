import { describeEachDatabase, expectError, type TestServer } from "../support/harness";

interface LeadStatusView {
  id: string;
  code: string;
  title: string;
  category: "IN_PROGRESS" | "QUALIFIED" | "DISQUALIFIED";
  sort: number;
  color: string;
  type: "SYSTEM" | "CUSTOM";
  createdAt: string;
  updatedAt: string;
  version: number;
}

const FIELDS = "id code title category sort color type createdAt updatedAt version";
const CODE_PATTERN = /^[a-z][a-z0-9_]{1,63}$/;

const LIST = `query ($filter: LeadStatusFilter) { leadStatuses(filter: $filter) { ${FIELDS} } }`;
const BY_ID = `query ($id: ID) { leadStatus(id: $id) { ${FIELDS} } }`;
const BY_CODE = `query ($code: String) { leadStatus(code: $code) { ${FIELDS} } }`;
const CREATE = `mutation ($input: CreateLeadStatusInput!) { createLeadStatus(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateLeadStatusInput!) {
  updateLeadStatus(id: $id, input: $input) { ${FIELDS} }
}`;

async function list(server: TestServer, filter?: Record<string, unknown>) {
  const data = await server.ok<{ leadStatuses: LeadStatusView[] }>(LIST, { filter });
  return data.leadStatuses;
}

async function codes(server: TestServer, filter?: Record<string, unknown>) {
  return (await list(server, filter)).map((s) => s.code);
}

async function byCode(server: TestServer, code: string) {
  const data = await server.ok<{ leadStatus: LeadStatusView | null }>(BY_CODE, { code });
  return data.leadStatus;
}

async function byId(server: TestServer, id: string) {
  const data = await server.ok<{ leadStatus: LeadStatusView | null }>(BY_ID, { id });
  return data.leadStatus;
}

async function create(server: TestServer, input: Record<string, unknown>) {
  const data = await server.ok<{ createLeadStatus: LeadStatusView }>(CREATE, { input });
  return data.createLeadStatus;
}

async function update(server: TestServer, id: string, input: Record<string, unknown>) {
  const data = await server.ok<{ updateLeadStatus: LeadStatusView }>(UPDATE, { id, input });
  return data.updateLeadStatus;
}

/** Every lead status, as a snapshot to compare before and after a refused write. */
async function snapshot(server: TestServer) {
  return list(server);
}

describeEachDatabase("lead statuses", (server) => {
  describe("leadStatuses ordering", () => {
    it("orders by sort ascending, ties by id ascending", async () => {
      const first = await create(server, {
        code: "ord_tie_first",
        title: "Order tie first",
        category: "IN_PROGRESS",
        sort: 15,
      });
      const second = await create(server, {
        code: "ord_tie_second",
        title: "Order tie second",
        category: "QUALIFIED",
        sort: 15,
      });
      const early = await create(server, {
        code: "ord_early",
        title: "Order early",
        category: "DISQUALIFIED",
        sort: -5,
      });
      expect(Number(second.id)).toBeGreaterThan(Number(first.id));
      expect(Number(early.id)).toBeGreaterThan(Number(second.id));

      const all = await list(server);
      const relevant = all
        .map((s) => s.code)
        .filter((c) =>
          ["ord_early", "new", "ord_tie_first", "ord_tie_second", "in_progress"].includes(c),
        );
      // new has sort 10, in_progress 20 (seeded)
      expect(relevant).toEqual([
        "ord_early",
        "new",
        "ord_tie_first",
        "ord_tie_second",
        "in_progress",
      ]);

      // The whole list obeys (sort, id).
      for (let i = 1; i < all.length; i += 1) {
        const a = all[i - 1];
        const b = all[i];
        expect(a.sort < b.sort || (a.sort === b.sort && Number(a.id) < Number(b.id))).toBe(true);
      }
    });

    it("lists the 4 seeded system statuses with their seeded sort values", async () => {
      const system = await list(server, { type: "SYSTEM" });
      expect(system.map((s) => [s.code, s.sort, s.category, s.type])).toEqual([
        ["new", 10, "IN_PROGRESS", "SYSTEM"],
        ["in_progress", 20, "IN_PROGRESS", "SYSTEM"],
        ["qualified", 30, "QUALIFIED", "SYSTEM"],
        ["disqualified", 40, "DISQUALIFIED", "SYSTEM"],
      ]);
    });
  });

  describe("leadStatuses filters", () => {
    beforeAll(async () => {
      for (const input of [
        { code: "flt_callback", title: "Перезвонить", category: "IN_PROGRESS", sort: 500 },
        { code: "flt_percent", title: "Discount 100% sure", category: "QUALIFIED", sort: 501 },
        { code: "fltplain", title: "Filter Plain", category: "DISQUALIFIED", sort: 502 },
        { code: "fltunder", title: "Filter snake_case", category: "IN_PROGRESS", sort: 503 },
        { code: "flt_target_x", title: "Filter Target", category: "QUALIFIED", sort: 504 },
        { code: "fltzebra", title: "Ж Zebra", category: "IN_PROGRESS", sort: 505 },
      ]) {
        await create(server, input);
      }
    });

    it("filters by category (system and custom alike), in list order", async () => {
      const qualified = await list(server, { category: "QUALIFIED" });
      expect(qualified.every((s) => s.category === "QUALIFIED")).toBe(true);
      const qualifiedCodes = qualified.map((s) => s.code);
      expect(qualifiedCodes).toEqual(expect.arrayContaining(["qualified", "flt_percent"]));
      expect(qualifiedCodes).not.toContain("disqualified");
      expect(qualifiedCodes).not.toContain("fltplain");
      expect(qualifiedCodes.indexOf("qualified")).toBeLessThan(
        qualifiedCodes.indexOf("flt_percent"),
      );
      expect(qualifiedCodes.indexOf("flt_percent")).toBeLessThan(
        qualifiedCodes.indexOf("flt_target_x"),
      );

      const disqualified = await codes(server, { category: "DISQUALIFIED" });
      expect(disqualified).toContain("disqualified");
      expect(disqualified).toContain("fltplain");
      expect(disqualified).not.toContain("qualified");

      // Every status appears under exactly one category.
      const all = await codes(server);
      const inProgress = await codes(server, { category: "IN_PROGRESS" });
      expect(new Set([...inProgress, ...qualifiedCodes, ...disqualified]).size).toBe(all.length);
      expect(inProgress.length + qualifiedCodes.length + disqualified.length).toBe(all.length);
    });

    it("filters by type", async () => {
      expect(await codes(server, { type: "SYSTEM" })).toEqual([
        "new",
        "in_progress",
        "qualified",
        "disqualified",
      ]);
      const custom = await list(server, { type: "CUSTOM" });
      expect(custom.every((s) => s.type === "CUSTOM")).toBe(true);
      expect(custom.map((s) => s.code)).toEqual(
        expect.arrayContaining(["flt_callback", "flt_percent", "fltplain", "fltunder"]),
      );
      expect(custom.map((s) => s.code)).not.toContain("new");
      expect((await codes(server)).length).toBe(4 + custom.length);
    });

    it("searches the title case-insensitively, Cyrillic included", async () => {
      expect(await codes(server, { search: "ПЕРЕЗВ" })).toEqual(["flt_callback"]);
      expect(await codes(server, { search: "перезвонить" })).toEqual(["flt_callback"]);
      expect(await codes(server, { search: "ж zeb" })).toEqual(["fltzebra"]);
      expect(await codes(server, { search: "FILTER PLAIN" })).toEqual(["fltplain"]);
    });

    it("searches the code case-insensitively, and title OR code", async () => {
      // Only in the code (the title is Cyrillic)
      expect(await codes(server, { search: "FLT_CALLB" })).toEqual(["flt_callback"]);
      // Only in the title ("sure" is not in any code)
      expect(await codes(server, { search: "SURE" })).toEqual(["flt_percent"]);
      // "flt" occurs in each of these codes
      expect(await codes(server, { search: "flt" })).toEqual([
        "flt_callback",
        "flt_percent",
        "fltplain",
        "fltunder",
        "flt_target_x",
        "fltzebra",
      ]);
      expect(await codes(server, { search: "no such status anywhere" })).toEqual([]);
    });

    it('treats "%" as a literal character', async () => {
      const all = await list(server);
      const found = await list(server, { search: "%" });
      expect(found.map((s) => s.code)).toEqual(["flt_percent"]);
      expect(found.length).toBeLessThan(all.length);
      expect(await codes(server, { search: "100%" })).toEqual(["flt_percent"]);
      expect(await codes(server, { search: "0% s" })).toEqual(["flt_percent"]);
      expect(await codes(server, { search: "%100" })).toEqual([]);
    });

    it('treats "_" as a literal character', async () => {
      const all = await list(server);
      const found = await list(server, { search: "_" });
      for (const s of found) expect(`${s.title}|${s.code}`).toContain("_");
      const expected = all.filter((s) => s.title.includes("_") || s.code.includes("_"));
      expect(found.map((s) => s.code)).toEqual(expected.map((s) => s.code));
      const foundCodes = found.map((s) => s.code);
      // Codes/titles with "_" are found, even when only the title has it
      expect(foundCodes).toEqual(
        expect.arrayContaining(["in_progress", "flt_callback", "fltunder"]),
      );
      // No "_" anywhere: not found
      for (const code of ["new", "qualified", "disqualified", "fltplain", "fltzebra"]) {
        expect(foundCodes).not.toContain(code);
      }
      // "_" does not stand for one arbitrary character
      expect(await codes(server, { search: "flt_plain" })).toEqual([]);
      expect(await codes(server, { search: "in_progress" })).toEqual(["in_progress"]);
      expect(await codes(server, { search: "in progress" })).toEqual(["in_progress"]);
    });

    it("combines filters (all must hold)", async () => {
      expect(await codes(server, { search: "flt", category: "QUALIFIED" })).toEqual([
        "flt_percent",
        "flt_target_x",
      ]);
      expect(await codes(server, { search: "flt", category: "QUALIFIED", type: "SYSTEM" })).toEqual(
        [],
      );
      expect(await codes(server, { search: "qualified", type: "SYSTEM" })).toEqual([
        "qualified",
        "disqualified",
      ]);
      expect(
        await codes(server, { search: "qualified", type: "SYSTEM", category: "DISQUALIFIED" }),
      ).toEqual(["disqualified"]);
      expect(await codes(server, { category: "IN_PROGRESS", type: "SYSTEM" })).toEqual([
        "new",
        "in_progress",
      ]);
      expect(
        await codes(server, { category: "IN_PROGRESS", type: "CUSTOM", search: "FLT" }),
      ).toEqual(["flt_callback", "fltunder", "fltzebra"]);
    });
  });

  describe("leadStatus(id / code)", () => {
    it("finds a status by id and by code", async () => {
      const viaCode = await byCode(server, "qualified");
      expect(viaCode).toMatchObject({
        code: "qualified",
        title: "Qualified",
        category: "QUALIFIED",
        type: "SYSTEM",
        sort: 30,
      });
      const viaId = await byId(server, viaCode!.id);
      expect(viaId).toEqual(viaCode);
    });

    it("returns null for an unknown id or code", async () => {
      expect(await byId(server, "999999")).toBeNull();
      expect(await byCode(server, "no_such_code")).toBeNull();
    });

    it("refuses both or neither of id and code", async () => {
      const qualified = await byCode(server, "qualified");
      const both = await server.gql(
        `query ($id: ID, $code: String) { leadStatus(id: $id, code: $code) { id } }`,
        { id: qualified!.id, code: "qualified" },
      );
      expectError(both, "BAD_USER_INPUT", "id");
      expectError(both, "BAD_USER_INPUT", "code");

      const neither = await server.gql(`{ leadStatus { id } }`);
      expectError(neither, "BAD_USER_INPUT", "id");
      expectError(neither, "BAD_USER_INPUT", "code");
    });

    it('refuses a malformed id "abc", naming id', async () => {
      expectError(await server.gql(BY_ID, { id: "abc" }), "BAD_USER_INPUT", "id");
      expectError(await server.gql(BY_ID, { id: "-1" }), "BAD_USER_INPUT", "id");
    });
  });

  describe("createLeadStatus", () => {
    it("applies the defaults: CUSTOM, version 1, grey, sort after the last one (max + 10)", async () => {
      const before = await list(server);
      const maxSort = Math.max(...before.map((s) => s.sort));
      const created = await create(server, {
        code: "cr_defaults",
        title: "Defaults check",
        category: "IN_PROGRESS",
      });
      expect(created).toMatchObject({
        code: "cr_defaults",
        title: "Defaults check",
        category: "IN_PROGRESS",
        type: "CUSTOM",
        version: 1,
        color: "#9E9E9E",
        sort: maxSort + 10,
      });
      expect(created.createdAt).toBe(created.updatedAt);
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);

      const after = await list(server);
      expect(after).toHaveLength(before.length + 1);
      expect(after[after.length - 1]).toEqual(created);
      expect(await byCode(server, "cr_defaults")).toEqual(created);

      // The next default lands after this one
      const next = await create(server, { title: "Defaults check next", category: "QUALIFIED" });
      expect(next.sort).toBe(maxSort + 20);
    });

    it("trims the title and stores a lower-case colour in upper case", async () => {
      const created = await create(server, {
        code: "cr_trim",
        title: "   Trimmed title \t ",
        category: "DISQUALIFIED",
        color: "#a1b2c3",
        sort: 7,
      });
      expect(created).toMatchObject({ title: "Trimmed title", color: "#A1B2C3", sort: 7 });
      expect(await byCode(server, "cr_trim")).toMatchObject({
        title: "Trimmed title",
        color: "#A1B2C3",
      });
    });

    it("accepts 255 characters (Cyrillic) after trimming", async () => {
      const title = "Я".repeat(255);
      const created = await create(server, {
        code: "cr_long_title",
        title: `  ${title}  `,
        category: "IN_PROGRESS",
      });
      expect(created.title).toBe(title);
      expect((await byCode(server, "cr_long_title"))?.title).toBe(title);
    });

    it("keeps an explicit code", async () => {
      const created = await create(server, {
        code: "cr_explicit_code",
        title: "Something unrelated",
        category: "QUALIFIED",
      });
      expect(created.code).toBe("cr_explicit_code");
    });

    it("derives the code from a Latin title", async () => {
      const created = await create(server, { title: "Call back later", category: "IN_PROGRESS" });
      expect(created.code).toBe("call_back_later");
      const viaNull = await create(server, {
        code: null,
        title: "  Wrong   number!! ",
        category: "DISQUALIFIED",
      });
      expect(viaNull.code).toBe("wrong_number");
      expect(viaNull.title).toBe("Wrong   number!!");
    });

    it("derives a Latin code from a Cyrillic title", async () => {
      const created = await create(server, { title: "Новый лид", category: "IN_PROGRESS" });
      expect(created.code).toMatch(CODE_PATTERN);
      expect(created.code).toBe("novyy_lid");
      expect(created.title).toBe("Новый лид");
    });

    it("derives a valid code from a title that does not start with a letter", async () => {
      const created = await create(server, { title: "42", category: "IN_PROGRESS" });
      expect(created.code).toMatch(CODE_PATTERN);
      expect(created.code).toBe("status_42");
    });

    it("makes a derived code unique with _2, _3", async () => {
      const a = await create(server, { title: "Collision probe", category: "IN_PROGRESS" });
      const b = await create(server, { title: "collision probe", category: "QUALIFIED" });
      const c = await create(server, { title: "COLLISION  PROBE", category: "DISQUALIFIED" });
      expect([a.code, b.code, c.code]).toEqual([
        "collision_probe",
        "collision_probe_2",
        "collision_probe_3",
      ]);
      // An explicit code taking the base also counts
      await create(server, { code: "dup_base", title: "Dup base", category: "IN_PROGRESS" });
      const derived = await create(server, { title: "Dup base", category: "IN_PROGRESS" });
      expect(derived.code).toBe("dup_base_2");
    });

    it("refuses a duplicate explicit code with CONFLICT naming code, writing nothing", async () => {
      await create(server, { code: "cr_dup", title: "Original", category: "IN_PROGRESS" });
      const before = await snapshot(server);
      const response = await server.gql(CREATE, {
        input: { code: "cr_dup", title: "Impostor", category: "QUALIFIED" },
      });
      expectError(response, "CONFLICT", "code");
      expect(response.data?.createLeadStatus ?? null).toBeNull();
      expect(await snapshot(server)).toEqual(before);
      expect(await byCode(server, "cr_dup")).toMatchObject({
        title: "Original",
        category: "IN_PROGRESS",
      });

      // A system code is taken as well
      const system = await server.gql(CREATE, {
        input: { code: "qualified", title: "Another qualified", category: "QUALIFIED" },
      });
      expectError(system, "CONFLICT", "code");
      expect(await snapshot(server)).toEqual(before);
    });

    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ["blank title", { title: "" }, "title"],
      ["spaces-only title", { title: "   " }, "title"],
      ["256-character title", { title: "x".repeat(256) }, "title"],
      ["256-character Cyrillic title", { title: "Ж".repeat(256) }, "title"],
      ["null title", { title: null }, "title"],
      ['code "Bad-Code"', { code: "Bad-Code" }, "code"],
      ['code "1abc"', { code: "1abc" }, "code"],
      ['code "a"', { code: "a" }, "code"],
      ["65-character code", { code: `a${"b".repeat(64)}` }, "code"],
      ['color "red"', { color: "red" }, "color"],
      ['color "#12345"', { color: "#12345" }, "color"],
      ['color "#1234567"', { color: "#1234567" }, "color"],
      ["sort 2147483648", { sort: 2147483648 }, "sort"],
      ["sort -2147483649", { sort: -2147483649 }, "sort"],
      ["sort 1.5", { sort: 1.5 }, "sort"],
      ['category "NOPE"', { category: "NOPE" }, "category"],
    ];
    it.each(invalid)("refuses %s, naming the field, writing nothing", async (_, change, field) => {
      const before = await snapshot(server);
      const input = {
        code: "cr_invalid_probe",
        title: "Invalid probe",
        category: "IN_PROGRESS",
        ...change,
      };
      const response = await server.gql(CREATE, { input });
      const error = expectError(response, "BAD_USER_INPUT", field);
      expect(error.message.length).toBeGreaterThan(0);
      expect(response.data?.createLeadStatus ?? null).toBeNull();
      expect(await snapshot(server)).toEqual(before);
      expect(await byCode(server, "cr_invalid_probe")).toBeNull();
    });

    it("refuses a null category, naming category, writing nothing", async () => {
      const before = await snapshot(server);
      const response = await server.gql(CREATE, {
        input: { code: "cr_null_category", title: "Null category", category: null },
      });
      expectError(response, "BAD_USER_INPUT", "category");
      expect(await snapshot(server)).toEqual(before);
    });

    it("names category in the field details when it is missing", async () => {
      const response = await server.gql(CREATE, {
        input: { code: "cr_no_category", title: "No category" },
      });
      expectError(response, "BAD_USER_INPUT", "category");
    });

    it("refuses a missing category, writing nothing", async () => {
      const before = await snapshot(server);
      const response = await server.gql(CREATE, {
        input: { code: "cr_no_category", title: "No category" },
      });
      const error = expectError(response, "BAD_USER_INPUT");
      expect(error.message).toMatch(/category/);
      expect(await snapshot(server)).toEqual(before);
      expect(await byCode(server, "cr_no_category")).toBeNull();
    });

    it("does not let a client set the type", async () => {
      const response = await server.gql(CREATE, {
        input: { code: "cr_typed", title: "Typed", category: "IN_PROGRESS", type: "SYSTEM" },
      });
      expectError(response, "BAD_USER_INPUT", "type");
      expect(await byCode(server, "cr_typed")).toBeNull();
    });
  });

  describe("updateLeadStatus", () => {
    let seq = 0;
    async function fresh(overrides: Record<string, unknown> = {}) {
      seq += 1;
      return create(server, {
        code: `upd_${seq}`,
        title: `Update probe ${seq}`,
        category: "IN_PROGRESS",
        color: "#123456",
        sort: 900 + seq,
        ...overrides,
      });
    }

    it("changes only the given fields and bumps the version by one", async () => {
      const original = await fresh();
      const updated = await update(server, original.id, { title: "  Renamed probe  " });
      expect(updated).toMatchObject({
        id: original.id,
        code: original.code,
        title: "Renamed probe",
        category: original.category,
        color: original.color,
        sort: original.sort,
        type: "CUSTOM",
        version: 2,
        createdAt: original.createdAt,
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(updated.createdAt));
      expect(await byId(server, original.id)).toEqual(updated);

      const recoloured = await update(server, original.id, { color: "#abcdef", sort: 5 });
      expect(recoloured).toMatchObject({
        title: "Renamed probe",
        color: "#ABCDEF",
        sort: 5,
        category: "IN_PROGRESS",
        version: 3,
      });
      expect(Date.parse(recoloured.updatedAt)).toBeGreaterThanOrEqual(
        Date.parse(recoloured.createdAt),
      );
    });

    it("moves updatedAt forward (createdAt stays) on a later change", async () => {
      const original = await fresh();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const updated = await update(server, original.id, { sort: original.sort + 1 });
      expect(updated.createdAt).toBe(original.createdAt);
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(original.updatedAt));
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(updated.createdAt));
      expect(updated.version).toBe(2);
    });

    it("leaves the version (and updatedAt) alone when nothing actually changes", async () => {
      const original = await fresh();
      const same = await update(server, original.id, {
        title: original.title,
        color: original.color.toLowerCase(),
        sort: original.sort,
        category: original.category,
      });
      expect(same).toEqual(original);
      const empty = await update(server, original.id, {});
      expect(empty).toEqual(original);
      expect(await byId(server, original.id)).toEqual(original);
    });

    it("returns NOT_FOUND for an unknown id and BAD_USER_INPUT for a malformed one", async () => {
      const before = await snapshot(server);
      expectError(
        await server.gql(UPDATE, { id: "999999", input: { title: "Ghost" } }),
        "NOT_FOUND",
      );
      expectError(
        await server.gql(UPDATE, { id: "abc", input: { title: "Ghost" } }),
        "BAD_USER_INPUT",
        "id",
      );
      expect(await snapshot(server)).toEqual(before);
    });

    it("refuses a stale expectedVersion with CONFLICT, writing nothing", async () => {
      const original = await fresh();
      const v2 = await update(server, original.id, { title: "Version two" });
      expect(v2.version).toBe(2);

      const response = await server.gql(UPDATE, {
        id: original.id,
        input: { title: "Stale write", color: "#000000", expectedVersion: 1 },
      });
      expectError(response, "CONFLICT", "expectedVersion");
      expect(await byId(server, original.id)).toEqual(v2);

      const ahead = await server.gql(UPDATE, {
        id: original.id,
        input: { title: "Future write", expectedVersion: 3 },
      });
      expectError(ahead, "CONFLICT", "expectedVersion");
      expect(await byId(server, original.id)).toEqual(v2);
    });

    it("applies an update whose expectedVersion is current", async () => {
      const original = await fresh();
      const updated = await update(server, original.id, {
        title: "Guarded write",
        expectedVersion: 1,
      });
      expect(updated).toMatchObject({ title: "Guarded write", version: 2 });
      const again = await update(server, original.id, { sort: 1234, expectedVersion: 2 });
      expect(again).toMatchObject({ title: "Guarded write", sort: 1234, version: 3 });
    });

    it("lets a custom status change category", async () => {
      const original = await fresh({ code: "upd_cat_custom", category: "IN_PROGRESS" });
      const updated = await update(server, original.id, { category: "DISQUALIFIED" });
      expect(updated).toMatchObject({ category: "DISQUALIFIED", version: 2 });
      expect(await codes(server, { category: "DISQUALIFIED", search: "upd_cat_custom" })).toEqual([
        "upd_cat_custom",
      ]);
      expect(await codes(server, { category: "IN_PROGRESS", search: "upd_cat_custom" })).toEqual(
        [],
      );
    });

    it("refuses to change the category of a system status, naming category", async () => {
      const system = await byCode(server, "in_progress");
      const response = await server.gql(UPDATE, {
        id: system!.id,
        input: { category: "QUALIFIED", title: "Should not stick" },
      });
      expectError(response, "BAD_USER_INPUT", "category");
      expect(await byCode(server, "in_progress")).toEqual(system);

      // Giving its current category is fine
      const same = await update(server, system!.id, { category: "IN_PROGRESS" });
      expect(same).toEqual(system);
    });

    it("lets a system status change title, colour and sort (code and type stay)", async () => {
      const system = (await byCode(server, "disqualified"))!;
      const updated = await update(server, system.id, {
        title: "Non-target",
        color: "#0a0b0c",
        sort: 45,
      });
      expect(updated).toMatchObject({
        id: system.id,
        code: "disqualified",
        type: "SYSTEM",
        category: "DISQUALIFIED",
        title: "Non-target",
        color: "#0A0B0C",
        sort: 45,
        version: system.version + 1,
      });
      // Restore, so the seeded data looks as before to other tests
      const restored = await update(server, system.id, {
        title: system.title,
        color: system.color,
        sort: system.sort,
      });
      expect(restored).toMatchObject({
        title: system.title,
        color: system.color,
        sort: system.sort,
        version: system.version + 2,
      });
    });

    it("rejects an update carrying code or type (not part of the input); the code stays", async () => {
      const original = await fresh();
      const inlineCode = await server.gql(
        `mutation { updateLeadStatus(id: "${original.id}", input: { code: "hacked_code" }) { code } }`,
      );
      expectError(inlineCode, "GRAPHQL_VALIDATION_FAILED");
      const inlineType = await server.gql(
        `mutation { updateLeadStatus(id: "${original.id}", input: { type: SYSTEM }) { type } }`,
      );
      expectError(inlineType, "GRAPHQL_VALIDATION_FAILED");

      const viaVariables = await server.gql(UPDATE, {
        id: original.id,
        input: { code: "hacked_code", title: "Hacked" },
      });
      expectError(viaVariables, "BAD_USER_INPUT", "code");
      const typeViaVariables = await server.gql(UPDATE, {
        id: original.id,
        input: { type: "SYSTEM", title: "Hacked" },
      });
      expectError(typeViaVariables, "BAD_USER_INPUT", "type");

      expect(await byId(server, original.id)).toEqual(original);
      expect(await byCode(server, "hacked_code")).toBeNull();
    });

    const invalidUpdates: Array<[string, Record<string, unknown>, string]> = [
      ["title null", { title: null }, "title"],
      ["blank title", { title: "  " }, "title"],
      ["256-character title", { title: "y".repeat(256) }, "title"],
      ["color null", { color: null }, "color"],
      ['color "red"', { color: "red" }, "color"],
      ["sort null", { sort: null }, "sort"],
      ["sort 2147483648", { sort: 2147483648 }, "sort"],
      ["category null", { category: null }, "category"],
      ["expectedVersion 0", { expectedVersion: 0 }, "expectedVersion"],
    ];
    it.each(invalidUpdates)(
      "refuses %s, naming the field, writing nothing",
      async (_, input, field) => {
        const original = await fresh();
        const response = await server.gql(UPDATE, {
          id: original.id,
          input: { ...input, ...(field === "title" ? {} : { title: "Must not stick" }) },
        });
        expectError(response, "BAD_USER_INPUT", field);
        expect(await byId(server, original.id)).toEqual(original);
      },
    );
  });

  describe("LeadStatus.callStatuses on the seeded data", () => {
    const QUERY = `query ($code: String, $visibleTo: Audience, $afterCallTransfer: Boolean) {
      leadStatus(code: $code) {
        code
        callStatuses(visibleTo: $visibleTo, afterCallTransfer: $afterCallTransfer) { code }
      }
    }`;
    async function linked(code: string, args: Record<string, unknown> = {}) {
      const data = await server.ok<{
        leadStatus: { code: string; callStatuses: Array<{ code: string }> };
      }>(QUERY, { code, ...args });
      return data.leadStatus.callStatuses.map((s) => s.code);
    }
    const TECHNICAL = [
      "voicemail",
      "call_terminated",
      "not_accepted_by_operator",
      "post_processing_not_completed",
      "missed_by_system",
    ];

    it("in_progress has the 5 technical statuses, in list order", async () => {
      expect(await linked("in_progress")).toEqual(TECHNICAL);
    });

    it("in_progress offers none of them to agents, transferred call or not", async () => {
      expect(await linked("in_progress", { visibleTo: "AGENT" })).toEqual([]);
      expect(await linked("in_progress", { visibleTo: "AGENT", afterCallTransfer: true })).toEqual(
        [],
      );
      expect(await linked("in_progress", { visibleTo: "AI_AGENT" })).toEqual([]);
    });

    it("qualified offers [qualified] to AI agents and agents; disqualified likewise", async () => {
      expect(await linked("qualified", { visibleTo: "AI_AGENT" })).toEqual(["qualified"]);
      expect(await linked("qualified", { visibleTo: "AGENT" })).toEqual(["qualified"]);
      expect(await linked("qualified")).toEqual(["qualified"]);
      expect(await linked("disqualified", { visibleTo: "AI_AGENT" })).toEqual(["disqualified"]);
    });

    it("new has no call statuses; several lead statuses in one list each get their own", async () => {
      expect(await linked("new")).toEqual([]);
      const data = await server.ok<{
        leadStatuses: Array<{ code: string; callStatuses: Array<{ code: string }> }>;
      }>(`{ leadStatuses(filter: { type: SYSTEM }) { code callStatuses { code } } }`);
      expect(data.leadStatuses.map((s) => [s.code, s.callStatuses.map((c) => c.code)])).toEqual([
        ["new", []],
        ["in_progress", TECHNICAL],
        ["qualified", ["qualified"]],
        ["disqualified", ["disqualified"]],
      ]);
    });
  });
});
