import type { DataSource } from "typeorm";

/**
 * The shortest word a full-text index holds: InnoDB's `innodb_ft_min_token_size` (3 unless the
 * server is configured otherwise). Shorter words of a search are matched by `LIKE` on the
 * candidates the longer ones found, on both databases, so that both give the same results.
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
 * in them can be an operator of either database's query syntax. At least one word must have
 * `FULL_TEXT_MIN_WORD` characters (the caller checks): without one, no index could serve the
 * search.
 */
export function fullTextSql(
  dataSource: DataSource,
  index: FullTextIndex,
  words: readonly string[],
): { sql: string; parameters: Record<string, string> } {
  const indexed = words.filter((word) => word.length >= FULL_TEXT_MIN_WORD);
  const short = words.filter((word) => word.length < FULL_TEXT_MIN_WORD);
  const parameters: Record<string, string> = {};
  const conditions: string[] = [];
  if (dataSource.options.type === "better-sqlite3") {
    parameters.fullText = indexed.map((word) => `"${word}"*`).join(" AND ");
    conditions.push(
      `${index.id} IN (SELECT rowid FROM ${index.ftsTable} WHERE ${index.ftsTable} MATCH :fullText)`,
    );
  } else {
    parameters.fullText = indexed.map((word) => `+${word}*`).join(" ");
    conditions.push(`MATCH(${index.column}) AGAINST (:fullText IN BOOLEAN MODE)`);
  }
  short.forEach((word, i) => {
    parameters[`wordStart${i}`] = `${word}%`;
    parameters[`wordInside${i}`] = `% ${word}%`;
    conditions.push(
      `(${index.column} LIKE :wordStart${i} OR ${index.column} LIKE :wordInside${i})`,
    );
  });
  return { sql: conditions.join(" AND "), parameters };
}
