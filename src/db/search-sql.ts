import type { DataSource } from "typeorm";

/**
 * The shortest word a full-text index holds: InnoDB's `innodb_ft_min_token_size` (3 unless the
 * server is configured otherwise). A search needs one word at least that long.
 */
export const FULL_TEXT_MIN_WORD = 3;

/** Where a table's full-text index is: its text column, and on SQLite the FTS5 table over it. */
export interface FullTextIndex {
  /** `alias.column` of the indexed text (already folded into words separated by one space). */
  column: string;
  /** `alias.id`, the rowid the FTS5 table refers to. */
  id: string;
  /** The FTS5 table (SQLite). */
  ftsTable: string;
}

/**
 * SQL for "every word begins a word of the text" through the full-text index, with its
 * parameters. `words` are already folded (`fullTextWords`), letters and digits only, so nothing
 * in them can be an operator of either database's query syntax, nor a `LIKE` wildcard.
 *
 * Only the longest word goes to the index (a longer prefix matches fewer names): a full-text
 * index reads every entry of each word it is given, so "anna kowalska" through the index would
 * read every Anna of every account; through `kowalska*` alone it reads the few Kowalskas, and
 * `LIKE` checks the other words on those. Words shorter than `FULL_TEXT_MIN_WORD` are never in
 * InnoDB's index anyway. Same conditions, so the same results, on both databases. At least one
 * word must have `FULL_TEXT_MIN_WORD` characters (the caller checks).
 */
export function fullTextSql(
  dataSource: DataSource,
  index: FullTextIndex,
  words: readonly string[],
): { sql: string; parameters: Record<string, string> } {
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
  if (longest.length < FULL_TEXT_MIN_WORD) throw new Error("no word the index holds");
  const others = words.filter((_, i) => i !== words.indexOf(longest));
  const parameters: Record<string, string> = {};
  const conditions: string[] = [];
  const sqlite = dataSource.options.type === "better-sqlite3";
  if (sqlite) {
    parameters.fullText = `"${longest}"*`;
    conditions.push(
      `${index.id} IN (SELECT rowid FROM ${index.ftsTable} WHERE ${index.ftsTable} MATCH :fullText)`,
    );
  } else {
    parameters.fullText = `+${longest}*`;
    conditions.push(`MATCH(${index.column}) AGAINST (:fullText IN BOOLEAN MODE)`);
  }
  // Compared byte for byte on MySQL/MariaDB (both sides are folded already), as on SQLite.
  const text = sqlite ? index.column : `${index.column} COLLATE utf8mb4_bin`;
  others.forEach((word, i) => {
    parameters[`wordStart${i}`] = `${word}%`;
    parameters[`wordInside${i}`] = `% ${word}%`;
    conditions.push(`(${text} LIKE :wordStart${i} OR ${text} LIKE :wordInside${i})`);
  });
  return { sql: conditions.join(" AND "), parameters };
}
