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
