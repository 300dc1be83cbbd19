import { badUserInput } from "./errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** A forward page request: at most `first` items after the `after` cursor. */
export interface PageParams {
  first?: number | null;
  after?: string | null;
}

/** One page of a list ordered newest first (by id, descending). */
export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  totalCount: number;
}

/** Opaque cursor of a row: base64url of `<kind>:<id>`. */
export function encodeCursor(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`, "utf8").toString("base64url");
}

/** The page size and the id to continue below; BAD_USER_INPUT naming `first` or `after`. */
export function resolvePage(kind: string, page: PageParams): { limit: number; beforeId?: number } {
  const first = page.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput("first", `first must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (page.after === undefined || page.after === null) return { limit: first };
  const decoded = /^([a-z]+):([0-9]{1,10})$/.exec(
    Buffer.from(page.after, "base64url").toString("utf8"),
  );
  if (!decoded || decoded[1] !== kind) {
    throw badUserInput("after", "after must be a cursor returned by this list");
  }
  return { limit: first, beforeId: Number(decoded[2]) };
}
