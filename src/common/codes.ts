import { transliterate } from "transliteration";

/** Symbolic codes: lowercase, start with a letter, 2–64 characters of `a-z`, `0-9`, `_`. */
export const CODE_PATTERN = /^[a-z][a-z0-9_]{1,63}$/;
export const CODE_MAX_LENGTH = 64;
export const CODE_RULE_TEXT =
  "must be 2–64 characters: lowercase latin letters, digits and underscores, starting with a letter";

/**
 * True for a well-formed code. Every stored code is one, so a lookup by anything else can only
 * miss — checked in code too: the code columns are binary on MySQL/MariaDB (so "QUALIFIED" is
 * not "qualified" there either), but `utf8mb4_bin` pads with spaces, so "qualified " would still
 * equal "qualified" there while SQLite would not.
 */
export function isCode(value: string): boolean {
  return CODE_PATTERN.test(value);
}

/**
 * The code a title suggests, before making it unique: transliterated to ASCII (Cyrillic and
 * other scripts included), lowercased, runs of other characters folded into one `_`.
 * Always matches `CODE_PATTERN`.
 */
export function codeBaseFromTitle(title: string): string {
  let base = transliterate(title.normalize("NFKC"))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!/^[a-z]/.test(base) || base.length < 2) base = base ? `status_${base}` : "status";
  return trimCode(base, CODE_MAX_LENGTH);
}

function trimCode(code: string, maxLength: number): string {
  return code.slice(0, maxLength).replace(/_+$/, "");
}

/**
 * `base` itself when free, else `base_2`, `base_3`, … — the first one not in `taken`, trimmed
 * so that the whole code stays within 64 characters.
 */
export function uniqueCode(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `_${n}`;
    const candidate = trimCode(base, CODE_MAX_LENGTH - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}
