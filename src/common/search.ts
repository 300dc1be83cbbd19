/**
 * The one definition of status search: a case-insensitive substring of the title
 * or the code. Unicode-aware (Cyrillic included) and free of SQL wildcards (`%` and `_` are
 * literal), because it runs in JavaScript on every database alike.
 */
export function normalizeSearchTerm(term: string | null | undefined): string | null {
  const normalized = fold(term ?? "").trim();
  return normalized === "" ? null : normalized;
}

/** True when `normalizedTerm` (from `normalizeSearchTerm`) occurs in the title or the code. */
export function matchesSearch(
  row: { title: string; code: string },
  normalizedTerm: string | null,
): boolean {
  if (normalizedTerm === null) return true;
  return fold(row.title).includes(normalizedTerm) || row.code.includes(normalizedTerm);
}

function fold(text: string): string {
  return text.normalize("NFC").toLowerCase();
}

/**
 * Words for name search (lead names), the same on every database: accents and case folded
 * (`Zoë` → `zoe`, `Ёлкин` → `елкин`), anything but letters and digits a separator, words joined by
 * one space. The word index of names is built from this text, and search terms pass through it
 * too, so both sides are cut into the same words.
 */
export function fullTextWords(text: string | null | undefined): string {
  return (text ?? "")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The most characters a stored name document holds (the `search_name` column's length). */
export const FULL_TEXT_DOCUMENT_LENGTH = 255;

/**
 * What is stored to search a name by (`leads.search_name`): its words (`fullTextWords`), cut to
 * `FULL_TEXT_DOCUMENT_LENGTH` characters — folding can lengthen a text (`ﬁ` → `fi`) — or null
 * when there are none.
 */
export function fullTextDocument(text: string | null | undefined): string | null {
  const words = Array.from(fullTextWords(text)).slice(0, FULL_TEXT_DOCUMENT_LENGTH).join("");
  return words.trim() || null;
}

/**
 * The distinct words of a stored document (`fullTextDocument`), in their order: what the word
 * index of names (`lead_name_words`) holds for one lead.
 */
export function documentWords(document: string | null): string[] {
  return document === null ? [] : [...new Set(document.split(" ").filter(Boolean))];
}

/**
 * The shortest word a name search looks up in the word index: a shorter prefix would read a
 * large part of an account's names. A search needs one word at least this long; its shorter
 * words only narrow what that one finds.
 */
export const SEARCH_INDEX_MIN_WORD = 3;

/**
 * The words that begin with `prefix`, as a range `from <= word < to` in code point order — the
 * order in which both databases compare the indexed words (`utf8mb4_bin` on MySQL/MariaDB,
 * SQLite's BINARY): `to` is `prefix` with its last code point raised by one (surrogate code
 * points, which no well-formed text holds, are skipped). A range is what an index reads as one
 * stretch, where `LIKE 'prefix%'` is one only on some databases and collations.
 */
export function prefixRange(prefix: string): { from: string; to: string } {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  if (points.length === 0) throw new Error("no range holds every word");
  let last = points[points.length - 1] + 1;
  if (last >= 0xd800 && last <= 0xdfff) last = 0xe000;
  points[points.length - 1] = last;
  return { from: prefix, to: String.fromCodePoint(...points) };
}
