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
 * Words for full-text search (lead names), the same on every database: accents and case folded
 * (`Zoë` → `zoe`, `Ёлкин` → `елкин`), anything but letters and digits a separator, words joined by
 * one space. The databases' full-text indexes are built over this text, and search terms pass
 * through it too, so both sides are cut into the same words whatever the database's own rules.
 */
export function fullTextWords(text: string | null | undefined): string {
  return (text ?? "")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The most characters a stored full-text document holds (the `search_name` column's length). */
export const FULL_TEXT_DOCUMENT_LENGTH = 255;

/**
 * What the full-text index of a name holds: its words (`fullTextWords`), cut to
 * `FULL_TEXT_DOCUMENT_LENGTH` characters — folding can lengthen a text (`ﬁ` → `fi`) — or null
 * when there are none.
 */
export function fullTextDocument(text: string | null | undefined): string | null {
  const words = Array.from(fullTextWords(text)).slice(0, FULL_TEXT_DOCUMENT_LENGTH).join("");
  return words.trim() || null;
}
