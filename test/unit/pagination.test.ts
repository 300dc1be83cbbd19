/** Cursor pagination (src/common/pagination.ts): cursors, page sizes, pages built from rows. */
import { AppError } from "../../src/common/errors";
import {
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  MAX_PAGE_SIZE,
  resolvePage,
  toPage,
  type PageParams,
} from "../../src/common/pagination";

const cursorOf = (text: string) => Buffer.from(text, "utf8").toString("base64url");

function refusal(kind: string, page: PageParams, keys?: number): AppError {
  try {
    resolvePage(kind, page, keys);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`resolvePage accepted ${JSON.stringify(page)}`);
}

describe("encodeCursor", () => {
  it("is base64url of kind:key[:key…]", () => {
    expect(encodeCursor("call", 42)).toBe(cursorOf("call:42"));
    expect(encodeCursor("lead", 1_700_000_000_000, 7)).toBe(cursorOf("lead:1700000000000:7"));
  });

  it("is URL-safe text without padding", () => {
    for (let id = 1; id < 300; id += 7) expect(encodeCursor("c", id)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("reads back through resolvePage, every key exactly", () => {
    const keys = [Number.MAX_SAFE_INTEGER, 0, 123];
    const cursor = encodeCursor("call", ...keys);
    expect(resolvePage("call", { after: cursor }, 3)).toEqual({
      limit: DEFAULT_PAGE_SIZE,
      after: keys,
    });
  });
});

describe("resolvePage", () => {
  it("defaults to the default page size from the start", () => {
    expect(resolvePage("call", {})).toEqual({ limit: DEFAULT_PAGE_SIZE });
    expect(resolvePage("call", { first: null, after: null })).toEqual({ limit: DEFAULT_PAGE_SIZE });
  });

  it.each([1, 50, MAX_PAGE_SIZE])("takes first: %p", (first) => {
    expect(resolvePage("call", { first })).toEqual({ limit: first });
  });

  it.each([0, -1, MAX_PAGE_SIZE + 1, 1.5, NaN, Infinity])(
    "refuses first: %p as BAD_USER_INPUT naming first",
    (first) => {
      const error = refusal("call", { first });
      expect(error.code).toBe("BAD_USER_INPUT");
      expect(error.fields.map((f) => f.field)).toEqual(["first"]);
      expect(error.message).toContain(String(MAX_PAGE_SIZE));
    },
  );

  it("continues after the key of a cursor of its own list", () => {
    expect(resolvePage("call", { first: 5, after: encodeCursor("call", 9) })).toEqual({
      limit: 5,
      after: [9],
    });
  });

  it.each([
    ["a cursor of another list", cursorOf("lead:9")],
    ["a cursor with too few keys", cursorOf("call")],
    ["a cursor with too many keys", cursorOf("call:1:2")],
    ["a negative key", cursorOf("call:-1")],
    ["a fractional key", cursorOf("call:1.5")],
    ["an exponent", cursorOf("call:1e3")],
    ["an empty key", cursorOf("call:")],
    ["a key beyond 2^53 − 1", cursorOf("call:9007199254740993")],
    ["17 digits", cursorOf("call:12345678901234567")],
    ["a kind in another case", cursorOf("CALL:9")],
    ["plain text", "not a cursor"],
    ["an empty text", ""],
  ])("refuses %s as BAD_USER_INPUT naming after", (_what, after) => {
    const error = refusal("call", { after });
    expect(error.code).toBe("BAD_USER_INPUT");
    expect(error.fields.map((f) => f.field)).toEqual(["after"]);
  });

  it("checks the number of keys the list's cursors hold", () => {
    const cursor = encodeCursor("lead", 5, 6);
    expect(resolvePage("lead", { after: cursor }, 2).after).toEqual([5, 6]);
    expect(refusal("lead", { after: cursor }, 1).fields.map((f) => f.field)).toEqual(["after"]);
    expect(refusal("lead", { after: cursor }, 3).fields.map((f) => f.field)).toEqual(["after"]);
  });

  it("checks first before after", () => {
    const error = refusal("call", { first: 0, after: "garbage" });
    expect(error.fields.map((f) => f.field)).toEqual(["first"]);
  });
});

describe("toPage", () => {
  const rows = [1, 2, 3, 4];
  const cursor = (n: number) => encodeCursor("n", n);

  it("keeps at most limit rows and says whether more follow", () => {
    const page = toPage(rows, { limit: 3 }, cursor, async () => 4);
    expect(page.nodes).toEqual([1, 2, 3]);
    expect(page.cursors).toEqual([cursor(1), cursor(2), cursor(3)]);
    expect(page.hasNextPage).toBe(true);
    expect(page.hasPreviousPage).toBe(false);
  });

  it("has no next page when the extra row is missing", () => {
    const page = toPage(rows, { limit: 4 }, cursor, async () => 4);
    expect(page.nodes).toEqual(rows);
    expect(page.hasNextPage).toBe(false);
    expect(toPage([], { limit: 4 }, cursor, async () => 0)).toMatchObject({
      nodes: [],
      cursors: [],
      hasNextPage: false,
    });
  });

  it("has a previous page when it starts after a cursor", () => {
    expect(toPage(rows, { limit: 2, after: [0] }, cursor, async () => 4).hasPreviousPage).toBe(
      true,
    );
  });

  it("counts only when asked, and once however often asked", async () => {
    const count = jest.fn(async () => 10_001);
    const page = toPage(rows, { limit: 2 }, cursor, count);
    expect(count).not.toHaveBeenCalled();
    await expect(page.totalCount()).resolves.toBe(10_001);
    await expect(page.totalCount()).resolves.toBe(10_001);
    expect(count).toHaveBeenCalledTimes(1);
  });
});
