import type { ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { resolvePage, type Page, type PageParams } from "../common/pagination";

/**
 * One page of a filtered query, newest first (by `<alias>.id` descending), with the total count
 * of the filtered list: two SQL statements.
 */
export async function fetchPage<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  alias: string,
  cursorKind: string,
  page: PageParams,
): Promise<Page<T>> {
  const { limit, beforeId } = resolvePage(cursorKind, page);
  const totalCount = await query.clone().getCount();
  if (beforeId !== undefined) query.andWhere(`${alias}.id < :beforeId`, { beforeId });
  const rows = await query
    .orderBy(`${alias}.id`, "DESC")
    .limit(limit + 1)
    .getMany();
  return {
    nodes: rows.slice(0, limit),
    hasNextPage: rows.length > limit,
    hasPreviousPage: beforeId !== undefined,
    totalCount,
  };
}
