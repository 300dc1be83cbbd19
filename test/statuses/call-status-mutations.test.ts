import { describeEachDatabase, expectError, type TestServer } from "../support/harness";

const FIELDS = `id code title description sort commentRequired planningTimeRequired type
  agentVisibility showToAgent showToAiAgents createdAt updatedAt version leadStatus { code }`;

interface Status {
  id: string;
  code: string;
  title: string;
  description: string | null;
  sort: number;
  commentRequired: boolean;
  planningTimeRequired: boolean;
  type: string;
  agentVisibility: string;
  showToAgent: boolean;
  showToAiAgents: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
  leadStatus: { code: string } | null;
}

const CREATE = `mutation($input: CreateCallStatusInput!) { createCallStatus(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateCallStatusInput!) { updateCallStatus(id: $id, input: $input) { ${FIELDS} } }`;

async function create(server: TestServer, input: Record<string, unknown>): Promise<Status> {
  return (await server.ok<{ createCallStatus: Status }>(CREATE, { input })).createCallStatus;
}

async function update(server: TestServer, id: string, input: Record<string, unknown>) {
  return (await server.ok<{ updateCallStatus: Status }>(UPDATE, { id, input })).updateCallStatus;
}

async function all(server: TestServer): Promise<Status[]> {
  return (await server.ok<{ callStatuses: Status[] }>(`{ callStatuses { ${FIELDS} } }`))
    .callStatuses;
}

async function byCode(server: TestServer, code: string): Promise<Status | null> {
  const data = await server.ok<{ callStatus: Status | null }>(
    `query($code: String) { callStatus(code: $code) { ${FIELDS} } }`,
    { code },
  );
  return data.callStatus;
}

describeEachDatabase("call status mutations", (server) => {
  describe("createCallStatus", () => {
    it("creates a custom status with sensible defaults, placed after the last one", async () => {
      const lastSort = Math.max(...(await all(server)).map((s) => s.sort));
      const created = await create(server, { title: "Callback" });
      expect(created).toMatchObject({
        code: "callback",
        title: "Callback",
        description: null,
        sort: lastSort + 10,
        commentRequired: false,
        planningTimeRequired: false,
        type: "CUSTOM",
        agentVisibility: "ALWAYS",
        showToAgent: true,
        showToAiAgents: false,
        version: 1,
        leadStatus: null,
      });
      expect(Date.parse(created.createdAt)).not.toBeNaN();
      expect(created.updatedAt).toBe(created.createdAt);
      expect(Math.abs(Date.parse(created.createdAt) - Date.now())).toBeLessThan(60_000);
      expect((await all(server)).at(-1)?.code).toBe("callback");
    });

    it("stores every given field, trimmed, linked to the lead status", async () => {
      const created = await create(server, {
        code: "meeting_booked",
        title: "  Meeting booked  ",
        description: "  A meeting is in the calendar.  ",
        sort: 5,
        commentRequired: true,
        planningTimeRequired: true,
        leadStatusCode: "qualified",
        agentVisibility: "AFTER_CALL_TRANSFER",
        showToAiAgents: true,
      });
      expect(created).toMatchObject({
        code: "meeting_booked",
        title: "Meeting booked",
        description: "A meeting is in the calendar.",
        sort: 5,
        commentRequired: true,
        planningTimeRequired: true,
        agentVisibility: "AFTER_CALL_TRANSFER",
        showToAgent: true,
        showToAiAgents: true,
        leadStatus: { code: "qualified" },
      });
      expect(await byCode(server, "meeting_booked")).toEqual(created);
      expect((await all(server)).map((s) => s.code).indexOf("meeting_booked")).toBe(0);
    });

    it("stores a blank description as none", async () => {
      expect(
        (await create(server, { title: "Blank description", description: "   " })).description,
      ).toBeNull();
    });

    it.each([
      ["Call back later", "call_back_later"],
      ["Перезвонить позже", "perezvonit_pozzhe"],
      ["Новый лид!", "novyy_lid"],
      ["Ёлка", "yolka"],
      ["Niño café", "nino_cafe"],
      ["123 attempts", "status_123_attempts"],
      ["!!!", "status"],
    ])("derives the code from the title %j", async (title, code) => {
      const created = await create(server, { title });
      expect(created.code).toBe(code);
      expect(created.title).toBe(title);
    });

    it("makes a derived code unique with a numeric suffix", async () => {
      // "voicemail" is a system status already
      expect((await create(server, { title: "Voicemail" })).code).toBe("voicemail_2");
      expect((await create(server, { title: "VOICEMAIL" })).code).toBe("voicemail_3");
      expect((await create(server, { title: "voicemail " })).code).toBe("voicemail_4");
    });

    it("keeps derived codes within 64 characters, suffix included", async () => {
      const title = "An extremely long outcome title ".repeat(6).trim();
      const first = await create(server, { title });
      const second = await create(server, { title });
      expect(first.code).toBe("an_extremely_long_outcome_title_an_extremely_long_outcome_title");
      expect(second.code).toMatch(/^[a-z][a-z0-9_]{1,63}$/);
      expect(second.code).toBe("an_extremely_long_outcome_title_an_extremely_long_outcome_titl_2");
    });

    it("gives distinct codes to statuses created at the same time with the same title", async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          server.gql<{ createCallStatus: Status }>(CREATE, { input: { title: "Busy line" } }),
        ),
      );
      for (const result of results) expect(result.errors).toBeUndefined();
      const codes = results.map((r) => r.data!.createCallStatus.code).sort();
      expect(codes).toEqual([
        "busy_line",
        "busy_line_2",
        "busy_line_3",
        "busy_line_4",
        "busy_line_5",
        "busy_line_6",
      ]);
    });

    it("accepts titles of 255 characters in any script, emoji included", async () => {
      for (const title of ["ж".repeat(255), "😀".repeat(255), "x".repeat(255)]) {
        const created = await create(server, { title });
        expect(created.title).toBe(title);
        expect((await byCode(server, created.code))?.title).toBe(title);
      }
    });

    it("refuses a duplicate explicit code with CONFLICT naming code, writing nothing", async () => {
      const before = (await all(server)).length;
      const response = await server.gql(CREATE, {
        input: { code: "voicemail", title: "Another voicemail" },
      });
      const error = expectError(response, "CONFLICT", "code");
      expect(error.message).toContain('"voicemail"');
      expect((await all(server)).length).toBe(before);
      expect((await byCode(server, "voicemail"))?.title).toBe("Voicemail");
    });

    it.each([
      [{ title: "" }, "title"],
      [{ title: "    " }, "title"],
      [{ title: "x".repeat(256) }, "title"],
      [{ title: "Fine", code: "Bad-Code" }, "code"],
      [{ title: "Fine", code: "1abc" }, "code"],
      [{ title: "Fine", code: "a" }, "code"],
      [{ title: "Fine", code: "abc DEF" }, "code"],
      [{ title: "Fine", code: "a".repeat(65) }, "code"],
      [{ title: "Fine", description: "d".repeat(1001) }, "description"],
      [{ title: "Fine", sort: 2147483648 }, "sort"],
      [{ title: "Fine", sort: 1.5 }, "sort"],
      [{ title: "Fine", sort: null }, "sort"],
      [{ title: "Fine", leadStatusCode: "no_such_status" }, "leadStatusCode"],
      [{ title: "Fine", leadStatusCode: "Not A Code" }, "leadStatusCode"],
      [{ title: "Fine", agentVisibility: "SOMETIMES" }, "agentVisibility"],
      [{ title: "Fine", agentVisibility: null }, "agentVisibility"],
      [{ title: "Fine", commentRequired: null }, "commentRequired"],
      [{ title: "Fine", showToAiAgents: "yes" }, "showToAiAgents"],
      [{ title: "Fine", type: "SYSTEM" }, "type"],
      [{ title: null }, "title"],
      [{}, "title"],
    ])("refuses %j naming %s, writing nothing", async (input, field) => {
      const before = (await all(server)).length;
      const response = await server.gql(CREATE, { input });
      const error = expectError(response, "BAD_USER_INPUT", field);
      expect(error.message.length).toBeGreaterThan(0);
      expect(response.data?.createCallStatus ?? null).toBeNull();
      expect((await all(server)).length).toBe(before);
    });

    it("accepts the boundaries of each rule", async () => {
      const created = await create(server, {
        title: "t",
        code: "ab",
        description: "d".repeat(1000),
        sort: -2147483648,
      });
      expect(created).toMatchObject({ title: "t", code: "ab", sort: -2147483648 });
      expect(created.description).toHaveLength(1000);
      expect(
        (await create(server, { title: "Max sort", code: `a${"b".repeat(63)}`, sort: 2147483647 }))
          .sort,
      ).toBe(2147483647);
      // after a status at the very end, the default sort cannot overflow
      expect((await create(server, { title: "After the end" })).sort).toBe(2147483647);
    });
  });

  describe("updateCallStatus", () => {
    it("changes only the given fields and bumps the version", async () => {
      const created = await create(server, {
        title: "Left a message",
        description: "Message with a relative",
        leadStatusCode: "in_progress",
        commentRequired: true,
      });
      const updated = await update(server, created.id, { title: "Left a message with family" });
      expect(updated).toEqual({
        ...created,
        title: "Left a message with family",
        version: 2,
        updatedAt: updated.updatedAt,
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));
      expect(await byCode(server, created.code)).toEqual(updated);
    });

    it("writes nothing and keeps the version when nothing changes", async () => {
      const created = await create(server, { title: "Unchanged", sort: 500 });
      const same = await update(server, created.id, { title: "Unchanged", sort: 500 });
      expect(same.version).toBe(1);
      const empty = await update(server, created.id, {});
      expect(empty).toEqual(created);
    });

    it("updates every editable field", async () => {
      const created = await create(server, { title: "Everything" });
      const updated = await update(server, created.id, {
        title: "Everything changed",
        description: "Now described",
        sort: 42,
        commentRequired: true,
        planningTimeRequired: true,
        leadStatusCode: "disqualified",
        agentVisibility: "NEVER",
        showToAiAgents: true,
      });
      expect(updated).toMatchObject({
        code: "everything",
        type: "CUSTOM",
        title: "Everything changed",
        description: "Now described",
        sort: 42,
        commentRequired: true,
        planningTimeRequired: true,
        leadStatus: { code: "disqualified" },
        agentVisibility: "NEVER",
        showToAgent: false,
        showToAiAgents: true,
        version: 2,
      });
    });

    it("null clears the description and unlinks the lead status; absent leaves them", async () => {
      const created = await create(server, {
        title: "Clearable",
        description: "Something",
        leadStatusCode: "qualified",
      });
      const kept = await update(server, created.id, { sort: 77 });
      expect(kept).toMatchObject({ description: "Something", leadStatus: { code: "qualified" } });
      const cleared = await update(server, created.id, { description: null, leadStatusCode: null });
      expect(cleared).toMatchObject({ description: null, leadStatus: null, sort: 77 });
      const relinked = await update(server, created.id, { leadStatusCode: "new" });
      expect(relinked.leadStatus).toEqual({ code: "new" });
    });

    it("lets administrators edit a system status, but never its code or type", async () => {
      const voicemail = (await byCode(server, "voicemail"))!;
      const updated = await update(server, voicemail.id, {
        title: "Answering machine",
        showToAiAgents: true,
        agentVisibility: "AFTER_CALL_TRANSFER",
      });
      expect(updated).toMatchObject({
        code: "voicemail",
        type: "SYSTEM",
        title: "Answering machine",
        showToAiAgents: true,
        agentVisibility: "AFTER_CALL_TRANSFER",
      });
    });

    it.each([[{ code: "renamed" }], [{ type: "SYSTEM" }], [{ code: "renamed", title: "Renamed" }]])(
      "refuses an update carrying %j and leaves the status as it was",
      async (input) => {
        const created = await create(server, { title: "Immutable code" });
        const response = await server.gql(UPDATE, { id: created.id, input });
        expectError(response, "BAD_USER_INPUT");
        expect(await byCode(server, created.code)).toEqual(created);
        expect(await byCode(server, "renamed")).toBeNull();
      },
    );

    it("refuses an update written inline with a code field", async () => {
      const created = await create(server, { title: "Inline immutable" });
      const response = await server.gql(
        `mutation { updateCallStatus(id: "${created.id}", input: { code: "renamed_inline" }) { code } }`,
      );
      expectError(response, "GRAPHQL_VALIDATION_FAILED");
      expect(await byCode(server, created.code)).toEqual(created);
    });

    it.each([
      [{ title: null }, "title"],
      [{ title: "  " }, "title"],
      [{ sort: null }, "sort"],
      [{ commentRequired: null }, "commentRequired"],
      [{ planningTimeRequired: null }, "planningTimeRequired"],
      [{ agentVisibility: null }, "agentVisibility"],
      [{ showToAiAgents: null }, "showToAiAgents"],
      [{ description: "x".repeat(1001) }, "description"],
      [{ leadStatusCode: "no_such_status" }, "leadStatusCode"],
      [{ title: "Valid", leadStatusCode: "no_such_status" }, "leadStatusCode"],
      [{ expectedVersion: 0 }, "expectedVersion"],
    ])("refuses %j naming %s, writing nothing", async (input, field) => {
      const created = await create(server, { title: "Validated update", leadStatusCode: "new" });
      const response = await server.gql(UPDATE, { id: created.id, input });
      expectError(response, "BAD_USER_INPUT", field);
      expect(await byCode(server, created.code)).toEqual(created);
    });

    it("answers NOT_FOUND for an unknown id and BAD_USER_INPUT for a malformed one", async () => {
      expectError(await server.gql(UPDATE, { id: "999999", input: { title: "x" } }), "NOT_FOUND");
      expectError(
        await server.gql(UPDATE, { id: "abc", input: { title: "x" } }),
        "BAD_USER_INPUT",
        "id",
      );
    });

    it("with a stale expectedVersion answers CONFLICT and writes nothing", async () => {
      const created = await create(server, { title: "Contended" });
      const first = await update(server, created.id, { title: "First edit", expectedVersion: 1 });
      expect(first.version).toBe(2);
      const response = await server.gql(UPDATE, {
        id: created.id,
        input: { title: "Second edit from a stale form", expectedVersion: 1 },
      });
      expectError(response, "CONFLICT", "expectedVersion");
      expect(await byCode(server, created.code)).toEqual(first);
      const second = await update(server, created.id, { title: "Second edit", expectedVersion: 2 });
      expect(second).toMatchObject({ title: "Second edit", version: 3 });
    });

    it("lets exactly one of several concurrent updates with the same expectedVersion win", async () => {
      const created = await create(server, { title: "Raced" });
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          server.gql(UPDATE, {
            id: created.id,
            input: { title: `Racer ${i}`, expectedVersion: 1 },
          }),
        ),
      );
      const winners = results.filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => r.errors))
        expectError(loser, "CONFLICT", "expectedVersion");
      const final = (await byCode(server, created.code))!;
      expect(final.version).toBe(2);
      expect(final.title).toBe(
        (winners[0].data as { updateCallStatus: Status }).updateCallStatus.title,
      );
    });

    it("applies every concurrent update without expectedVersion (one version step each)", async () => {
      const created = await create(server, { title: "Busy" });
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          server.gql(UPDATE, { id: created.id, input: { sort: 1000 + i } }),
        ),
      );
      for (const result of results) expect(result.errors).toBeUndefined();
      expect((await byCode(server, created.code))!.version).toBe(6);
    });
  });
});
