import type { DataSource } from "typeorm";
import { normalizeSearchTerm } from "../common/search";

/**
 * SQL for "case-insensitive substring" on large tables (leads), with the same meaning on MySQL
 * and SQLite: both sides lower-cased with Unicode rules (SQLite's lower() is replaced at
 * connect, see data-source.ts), compared binary on MySQL (no accent folding), and `%`, `_`, `!`
 * escaped so that they are literal.
 */
export function searchPattern(term: string | null | undefined): string | null {
  const normalized = normalizeSearchTerm(term);
  return normalized === null ? null : `%${normalized.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** `column` contains the pattern bound as `:param` (from `searchPattern`). */
export function containsSql(dataSource: DataSource, column: string, param: string): string {
  const binary = dataSource.options.type === "better-sqlite3" ? "" : " COLLATE utf8mb4_bin";
  return `LOWER(${column})${binary} LIKE :${param} ESCAPE '!'`;
}
