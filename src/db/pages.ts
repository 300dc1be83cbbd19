import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import {
  COUNT_LIMIT,
  encodeCursor,
  resolvePage,
  toPage,
  type Page,
  type PageParams,
} from "../common/pagination";

/** One column of a list's order (descending), and how a row's value becomes a cursor number. */
export interface SortColumn<T> {
  /** `alias.column`, as in SQL. */
  column: string;
  /** The row's value as a whole number (ids; times in whole seconds): the keyset relies on it. */
  key: (row: T) => number;
  /** The cursor's number as an SQL parameter (e.g. seconds → a date-time); default: as is. */
  param?: (key: number) => unknown;
}

/** A list's order: newest first, by these columns (the last one unique, e.g. the id). */
export interface ListOrder<T> {
  /** The cursor's kind: a cursor of another list is refused. */
  kind: string;
  columns: [SortColumn<T>] | [SortColumn<T>, SortColumn<T>];
}

/** Newest first by id: `<alias>.id` descending. */
export function byIdDescending<T extends { id: number }>(
  alias: string,
  kind: string,
): ListOrder<T> {
  return { kind, columns: [{ column: `${alias}.id`, key: (row) => row.id }] };
}

/**
 * One page of a filtered query in `order`, read after the cursor's position (keyset paging: the
 * cost is the page's, wherever it is in the list, when an index serves the filter and the
 * order). The count is a separate statement, run only if `totalCount` is asked for, and stops at
 * `COUNT_LIMIT + 1`.
 */
export async function fetchPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  order: ListOrder<T>,
  page: PageParams,
): Promise<Page<T>> {
  const position = resolvePage(order.kind, page, order.columns.length);
  const counting = query.clone();
  if (position.after) {
    const [first, second] = order.columns;
    const [firstKey, secondKey] = position.after;
    const param = (column: SortColumn<T>, key: number) => (column.param ? column.param(key) : key);
    if (!second) {
      query.andWhere(`${first.column} < :afterKey`, { afterKey: param(first, firstKey) });
    } else {
      // `a < x + 1 AND (a < x OR b < y)`, i.e. `a <= x …` for whole-number keys: the first part
      // is an index range on both databases, and `<` alone also holds on SQLite, where TypeORM
      // stores times with milliseconds (`…:05.000`) that an equality with `…:05` would miss.
      query.andWhere(
        `${first.column} < :afterKeyNext AND (${first.column} < :afterKey OR ${second.column} < :afterKey2)`,
        {
          afterKeyNext: param(first, firstKey + 1),
          afterKey: param(first, firstKey),
          afterKey2: param(second, secondKey),
        },
      );
    }
  }
  order.columns.forEach(({ column }, i) =>
    i === 0 ? query.orderBy(column, "DESC") : query.addOrderBy(column, "DESC"),
  );
  const rows = await query.limit(position.limit + 1).getMany();
  return toPage(
    rows,
    position,
    (row) => encodeCursor(order.kind, ...order.columns.map((column) => column.key(row))),
    () => countUpTo(counting, order.columns.at(-1)!.column),
  );
}

/** How many rows `query` finds, reading no more than `COUNT_LIMIT + 1` of them. */
export async function countUpTo<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  idColumn: string,
): Promise<number> {
  const [sql, parameters] = query
    .select(idColumn)
    .orderBy()
    .limit(COUNT_LIMIT + 1)
    .getQueryAndParameters();
  const rows: Array<{ n: number | string }> = await query.connection.query(
    `SELECT COUNT(*) AS n FROM (${sql}) counted`,
    parameters,
  );
  return Number(rows[0]?.n ?? 0);
}
