import { badUserInput } from "./errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * `totalCount` counts this far and no further: a list holding more answers `COUNT_LIMIT + 1`
 * ("more than 10,000"). Counting a whole list costs its whole length, however small the page.
 */
export const COUNT_LIMIT = 10_000;

/** A forward page request: at most `first` items after the `after` cursor. */
export interface PageParams {
  first?: number | null;
  after?: string | null;
}

/** One page of a list, in the list's order, with each item's cursor. */
export interface Page<T> {
  nodes: T[];
  /** The cursor of each node, in the same order. */
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /**
   * How many items the whole list holds, up to `COUNT_LIMIT + 1`: asked only when a client
   * selects `totalCount`, so a page that does not want it costs the page alone.
   */
  totalCount: () => Promise<number>;
}

/** Where a page starts: the sort key of the last item already seen (one number per column). */
export interface PagePosition {
  limit: number;
  after?: number[];
}

/** Opaque cursor of a row: base64url of `<kind>:<key>[:<key>…]` (the row's sort key). */
export function encodeCursor(kind: string, ...keys: number[]): string {
  return Buffer.from([kind, ...keys].join(":"), "utf8").toString("base64url");
}

/**
 * The page size and, from the `after` cursor, the sort key to continue below. `keys` is how many
 * numbers a cursor of this list holds. BAD_USER_INPUT naming `first` or `after`.
 */
export function resolvePage(kind: string, page: PageParams, keys = 1): PagePosition {
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput("first", `first must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (page.after === undefined || page.after === null) return { limit: first };
  const parts = Buffer.from(page.after, "base64url").toString("utf8").split(":");
  const after = parts.slice(1).map((part) => (/^[0-9]{1,16}$/.test(part) ? Number(part) : NaN));
  if (
    parts[0] !== kind ||
    after.length !== keys ||
    !after.every((key) => Number.isSafeInteger(key))
  ) {
    throw badUserInput("after", "after must be a cursor returned by this list");
  }
  return { limit: first, after };
}

/** A page built from at most `limit + 1` rows read after `position` (the extra one says more follow). */
export function toPage<T>(
  rows: T[],
  position: PagePosition,
  cursorOf: (row: T) => string,
  totalCount: () => Promise<number>,
): Page<T> {
  const nodes = rows.slice(0, position.limit);
  let counted: Promise<number> | undefined;
  return {
    nodes,
    cursors: nodes.map(cursorOf),
    hasNextPage: rows.length > position.limit,
    hasPreviousPage: position.after !== undefined,
    totalCount: () => (counted ??= totalCount()),
  };
}
