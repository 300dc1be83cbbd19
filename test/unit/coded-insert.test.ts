/**
 * The one rule for codes on insert (statuses and accounts alike), without a database: the
 * insert is a function that fails the way the drivers fail on the unique index of `code`.
 */
import { insertWithCode } from "../../src/db/coded-insert";

/** A duplicate key on `code` as better-sqlite3 reports it. */
function duplicateCode(): Error {
  return Object.assign(
    new Error("UNIQUE constraint failed: call_statuses.account_id, call_statuses.code"),
    {
      code: "SQLITE_CONSTRAINT_UNIQUE",
    },
  );
}

/** A table of codes, where `racer` takes each derived code a moment before us, `races` times. */
function table(taken: string[], races = 0) {
  const codes = new Set(taken);
  let lost = 0;
  const tried: string[] = [];
  return {
    tried,
    takenCodes: async (base: string) => new Set([...codes].filter((c) => c.startsWith(base))),
    insert: async (code: string) => {
      tried.push(code);
      if (lost < races) {
        lost += 1;
        codes.add(code); // a concurrent insert got there first
        throw duplicateCode();
      }
      if (codes.has(code)) throw duplicateCode();
      codes.add(code);
      return code;
    },
  };
}

const common = { titleName: "title" as const, label: "call status" };

describe("insertWithCode", () => {
  it("derives the code from the title (Cyrillic transliterated)", async () => {
    const t = table([]);
    await expect(
      insertWithCode({ ...common, code: null, title: "Перезвонить позже", ...t }),
    ).resolves.toBe("perezvonit_pozzhe");
  });

  it("makes a derived code unique with a numeric suffix", async () => {
    const t = table(["voicemail", "voicemail_2"]);
    await expect(
      insertWithCode({ ...common, code: undefined, title: "Voicemail", ...t }),
    ).resolves.toBe("voicemail_3");
  });

  it("derives the next free code when a concurrent insert took the one it chose", async () => {
    const t = table([], 2);
    await expect(insertWithCode({ ...common, code: null, title: "Callback", ...t })).resolves.toBe(
      "callback_3",
    );
    expect(t.tried).toEqual(["callback", "callback_2", "callback_3"]);
  });

  it("answers CONFLICT on code for a given code that is taken, without trying another", async () => {
    const t = table(["callback"]);
    await expect(
      insertWithCode({ ...common, code: "callback", title: "Anything", ...t }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: 'A call status with code "callback" already exists',
      fields: [{ field: "code" }],
    });
    expect(t.tried).toEqual(["callback"]);
  });

  it("names accounts with their article", async () => {
    const t = table(["acme"]);
    await expect(
      insertWithCode({ titleName: "name", label: "account", code: "acme", title: "Acme", ...t }),
    ).rejects.toMatchObject({ message: 'An account with code "acme" already exists' });
  });

  it("gives up after 20 lost races, asking for a code", async () => {
    const t = table([], 1000);
    await expect(
      insertWithCode({ titleName: "name", label: "account", code: null, title: "Acme", ...t }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: "Could not derive a free code from the name; give a code explicitly",
    });
    expect(t.tried).toHaveLength(20);
  });

  it("lets any other failure through as it is", async () => {
    const failure = new Error("connection lost");
    await expect(
      insertWithCode({
        ...common,
        code: null,
        title: "X ray",
        takenCodes: async () => new Set(),
        insert: async () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });
});
