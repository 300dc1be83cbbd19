import { codeBaseFromTitle, uniqueCode } from "../common/codes";
import { conflict } from "../common/errors";
import { uniqueViolationColumn } from "./errors";

/**
 * Tries of a derived code against writers inserting rows with the same title at the same time.
 * Each lost try means another writer got its code, so N writers need at most N tries.
 */
const DERIVED_CODE_ATTEMPTS = 20;

export interface CodedInsert<T> {
  /** The code the client gave; none: derive one from `title`. */
  code: string | null | undefined;
  /** What a code is derived from (a status's title, an account's name). */
  title: string;
  /** What `title` is called in messages. */
  titleName: "title" | "name";
  /** "call status", "account": for the messages. */
  label: string;
  /** The codes already taken that start with `base`. */
  takenCodes: (base: string) => Promise<ReadonlySet<string>>;
  /** Writes the row with `code`; a duplicate code fails with the unique index on `code`. */
  insert: (code: string) => Promise<T>;
}

/**
 * The one rule for codes on insert, for every kind of row that has one: a given code that is
 * taken is CONFLICT on `code`; a derived one (transliterated from the title, made unique with a
 * numeric suffix) that a concurrent insert took first makes it derive the next free one, up to
 * `DERIVED_CODE_ATTEMPTS` times, with a short jittered pause between tries.
 */
export async function insertWithCode<T>(row: CodedInsert<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let code = row.code;
    if (!code) {
      const base = codeBaseFromTitle(row.title);
      code = uniqueCode(base, await row.takenCodes(base));
    }
    try {
      return await row.insert(code);
    } catch (error) {
      if (uniqueViolationColumn(error) !== "code") throw error;
      const article = /^[aeiou]/.test(row.label) ? "An" : "A";
      if (row.code)
        throw conflict(`${article} ${row.label} with code "${code}" already exists`, "code");
      if (attempt >= DERIVED_CODE_ATTEMPTS) {
        throw conflict(
          `Could not derive a free code from the ${row.titleName}; give a code explicitly`,
          "code",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
