/**
 * Persistence rules shared by call statuses and lead statuses: id parsing, lookup by id or code,
 * what every new status gets (custom type, trimmed title, default sort), code derivation with
 * uniqueness, and optimistic-concurrency updates. Each rule is written once here and used by both
 * services.
 */
import { In, type DataSource, type EntityTarget, type FindOptionsRelations } from "typeorm";
import { AuditAction, type AuditEntityType } from "../audit/audit-entry.entity";
import { writeAudit } from "../audit/audit.service";
import type { Principal } from "../access/principal";
import { currentAccountId, scoped, type AccountOwnedRow } from "../db/account-scope";
import { runTransaction } from "../db/writes";
import type { ChangeType } from "../changes/change.entity";
import { eventChanges } from "../changes/event-data";
import type { Source } from "../db/transaction";
import type { StatusCatalogs } from "./status-catalog";
import { badUserInput, conflict, notFound } from "../common/errors";
import { insertWithCode } from "../db/coded-insert";
import { isCode } from "../common/codes";
import { parseId } from "../common/ids";
import { currentTimestamp } from "../common/time";
import { INT32_MAX } from "../common/validation";
import { StatusType } from "./status.enums";

/** The columns every status has. */
export interface StatusRow extends AccountOwnedRow {
  id: number;
  code: string;
  title: string;
  sort: number;
  version: number;
}

/** What a new status of either kind is given besides its own fields. */
export interface NewStatusParams {
  code?: string | null;
  title: string;
  sort?: number;
}

/** What a change to a status of either kind may give besides its own fields. */
export interface StatusChangeParams {
  title?: string;
  sort?: number;
  expectedVersion?: number | null;
}

/** The columns a kind's service sets on a new row; the others are the same rule for both kinds. */
export type KindColumns<T> = Omit<
  T,
  | "id"
  | "accountId"
  | "account"
  | "code"
  | "title"
  | "sort"
  | "type"
  | "version"
  | "createdAt"
  | "updatedAt"
  | "showToAgent"
>;

/**
 * One status kind as its writes need it: the table, its name in messages, its type in the audit
 * trail, the lists every change must refresh, and the relations a written row is returned with.
 */
export interface StatusTable<T extends StatusRow> {
  dataSource: DataSource;
  target: EntityTarget<T>;
  label: string;
  entityType: AuditEntityType;
  catalog: StatusCatalogs;
  /** What the change log calls a new row of this kind, and a change of one. */
  changeTypes: { created: ChangeType; updated: ChangeType };
  /**
   * The change event's data: under `key` ("callStatus"), the row as `data` gives it (read
   * back, with `relations`, inside the change's transaction).
   */
  event: { key: string; data: (row: T) => Record<string, unknown> };
  relations?: FindOptionsRelations<T>;
}

/**
 * A change's event data: the row under `event.key`, and — for an update — which fields changed.
 */
function eventDataOf<T extends StatusRow>(
  table: StatusTable<T>,
  row: T,
  changes?: ReadonlyArray<{ field: string; before: unknown; after: unknown }>,
): Record<string, unknown> {
  const data: Record<string, unknown> = { [table.event.key]: table.event.data(row) };
  if (changes) data.changes = eventChanges(changes);
  return data;
}

/** Gap left between consecutive default sort positions, so items can be placed in between. */
export const SORT_STEP = 10;

/**
 * `where` for a lookup by exactly one of `id` or `code`; bad input otherwise.
 * Null when the code is not well-formed, so cannot match (see `isCode`).
 */
export function idOrCodeCondition(args: {
  id?: string | number | null;
  code?: string | null;
}): { id: number } | { code: string } | null {
  const hasId = args.id !== undefined && args.id !== null;
  const hasCode = args.code !== undefined && args.code !== null;
  if (hasId === hasCode) throw badUserInput(["id", "code"], "Give exactly one of id or code");
  if (hasId) return { id: parseId(args.id as string | number) };
  return isCode(args.code as string) ? { code: args.code as string } : null;
}

/** The row with exactly this code, or null (also for a code that is not well-formed). */
export async function findByCode<T extends StatusRow>(
  source: DataSource,
  target: EntityTarget<T>,
  code: string,
): Promise<T | null> {
  return isCode(code) ? scoped(source, target).findOne({ where: { code } as never }) : null;
}

/** The sort position after the last row (clamped to the 32-bit range). */
export async function nextSort<T extends StatusRow>(table: StatusTable<T>): Promise<number> {
  const row = await scoped(table.dataSource, table.target)
    .queryBuilder("s")
    .select("MAX(s.sort)", "max")
    .getRawOne<{ max: number | string | null }>();
  const max = row?.max === null || row?.max === undefined ? 0 : Number(row.max);
  return Math.min(max + SORT_STEP, INT32_MAX);
}

async function takenCodes<T extends StatusRow>(table: StatusTable<T>, base: string) {
  const rows = await scoped(table.dataSource, table.target)
    .queryBuilder("s")
    .select("s.code", "code")
    .andWhere("s.code LIKE :prefix", { prefix: `${base}%` })
    .getRawMany<{ code: string }>();
  return new Set(rows.map((r) => r.code));
}

/**
 * Inserts a new status: a CUSTOM one (SYSTEM statuses are seeded, never created through the API),
 * its title trimmed, placed after the last one unless `fields.sort` says where. With an explicit
 * `code`, a duplicate is CONFLICT on `code`. Without one, the code is derived from the title and
 * made unique; a concurrent insert that takes the same code makes it try the next free one.
 * Answers the row as stored, with the kind's relations.
 */
export async function insertStatus<T extends StatusRow>(
  table: StatusTable<T>,
  actor: Principal,
  fields: NewStatusParams,
  columns: KindColumns<T>,
): Promise<T> {
  const { dataSource, target, label, entityType, catalog } = table;
  const now = currentTimestamp();
  const title = fields.title.trim();
  const sort = fields.sort ?? (await nextSort(table));
  return insertWithCode({
    code: fields.code,
    title,
    titleName: "title",
    label,
    takenCodes: (base) => takenCodes(table, base),
    insert: (code) => {
      const row = { title, ...columns, sort, type: StatusType.CUSTOM, code };
      // The row, its audit entry and the lists' revision are committed together. The callback
      // may run more than once (a deadlock retry): the cache is invalidated once, after it all.
      return runTransaction(dataSource, async (tx) => {
        const newId = await scoped(tx, target).insert({
          ...row,
          createdAt: now,
          updatedAt: now,
        } as never);
        await writeAudit(tx, {
          actor,
          action: AuditAction.CREATE,
          entityType,
          entityId: newId,
          changes: Object.entries(row).map(([field, after]) => ({ field, before: null, after })),
        });
        // Read back once, inside the transaction: the answer and the change event's data.
        const written = await stored(table, newId, tx);
        await catalog.recordChange(tx, {
          type: table.changeTypes.created,
          entityId: newId,
          data: eventDataOf(table, written),
        });
        return written;
      }).finally(() => catalog.invalidate());
    },
  });
}

/** Retries of an update without `expectedVersion` that keeps losing races to other writers. */
const MAX_UPDATE_ATTEMPTS = 20;

/**
 * Applies a change, atomically: the common `input` fields (title trimmed) and what `kindChanges`
 * computes from the current row,
 * `UPDATE … SET …, version = version + 1 WHERE id = ? AND version = ?`.
 * - unknown id → NOT_FOUND;
 * - `expectedVersion` given and stale, before or during the update → CONFLICT, nothing written;
 * - without `expectedVersion`, a concurrent change makes it re-read and re-apply (last write wins);
 * - no actual change → nothing written, the version stays.
 * Answers the row as stored, with the kind's relations.
 */
export async function updateStatus<T extends StatusRow>(
  table: StatusTable<T>,
  actor: Principal,
  rawId: string | number,
  input: StatusChangeParams,
  kindChanges: (current: T) => Promise<Partial<T>> | Partial<T>,
): Promise<T> {
  const { dataSource, target, label, entityType, catalog } = table;
  const id = parseId(rawId);
  const { expectedVersion } = input;
  for (let attempt = 1; ; attempt += 1) {
    const current = await scoped(dataSource, target).findOne({ where: { id } as never });
    if (!current) throw notFound(`No ${label} with id ${id}`);
    if (
      expectedVersion !== undefined &&
      expectedVersion !== null &&
      current.version !== expectedVersion
    ) {
      throw staleVersion(label, current.version);
    }
    const changes = {
      title: input.title?.trim(),
      sort: input.sort,
      ...(await kindChanges(current)),
    };
    const changed = Object.entries(changes).filter(
      ([key, value]) => value !== undefined && !sameValue(current[key], value),
    );
    if (changed.length === 0) return stored(table, id);

    // The change (only if nobody changed the row meanwhile) and its audit entry, together; the
    // cache is invalidated after the last try, not inside the callback (it may run again).
    const applied = await runTransaction(dataSource, async (tx) => {
      const affected = await scoped(tx, target).update(
        { id, version: current.version } as never,
        { ...Object.fromEntries(changed), updatedAt: currentTimestamp() } as never,
      );
      if (affected !== 1) return null;
      const fieldChanges = changed.map(([field, after]) => ({
        field,
        before: current[field],
        after,
      }));
      await writeAudit(tx, {
        actor,
        action: AuditAction.UPDATE,
        entityType,
        entityId: id,
        changes: fieldChanges,
      });
      const written = await stored(table, id, tx);
      await catalog.recordChange(tx, {
        type: table.changeTypes.updated,
        entityId: id,
        data: eventDataOf(table, written, fieldChanges),
      });
      return written;
    }).finally(() => catalog.invalidate());
    if (applied) return applied;
    if (
      (expectedVersion !== undefined && expectedVersion !== null) ||
      attempt >= MAX_UPDATE_ATTEMPTS
    ) {
      throw staleVersion(label, undefined);
    }
    // Someone else's update committed in between; each retry means another writer progressed.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
  }
}

/** The row as written, reloaded with the kind's relations (inside `source`'s transaction, if one). */
function stored<T extends StatusRow>(
  table: StatusTable<T>,
  id: number,
  source: Source = table.dataSource,
): Promise<T> {
  return scoped(source, table.target).findOneOrFail({
    where: { id } as never,
    relations: table.relations,
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

function staleVersion(label: string, currentVersion: number | undefined) {
  return conflict(
    currentVersion === undefined
      ? `The ${label} was changed by someone else meanwhile; reload it and try again`
      : `The ${label} was changed by someone else meanwhile (it is now at version ${currentVersion}); reload it and try again`,
    "expectedVersion",
  );
}

/** Raised inside a reorder's transaction when the order is already the one asked for. */
class OrderUnchanged extends Error {}

/** How many codes a refusal names before "and N more". */
const NAMED_AT_MOST = 5;

function named(codes: readonly string[]): string {
  const shown = codes.slice(0, NAMED_AT_MOST).map((code) => JSON.stringify(code));
  const more = codes.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/**
 * Puts every status of a kind in the order of `codes`, in one transaction: `sort` becomes 10,
 * 20, 30, … along the list, and only the statuses whose `sort` changes are written (their
 * versions bumped, one change log entry each, under one revision: live subscribers get one
 * event). One audit entry (`REORDER` of the kind's list, the account as its entity) holds the
 * order before and after.
 * - `codes` must name every status of the kind once: a repeated, unknown or missing code is
 *   BAD_USER_INPUT on `codes`, naming it;
 * - `expectedRevision` given and not the account's revision (`statusesRevision` as an ADMIN sees
 *   it) when the transaction takes the revision → CONFLICT on `expectedRevision`;
 * - the order already as asked → nothing written (the revision stays).
 * Nothing is written on any refusal.
 */
export async function reorderStatuses<T extends StatusRow>(
  table: StatusTable<T>,
  listType: AuditEntityType,
  actor: Principal,
  codes: readonly string[],
  expectedRevision: string | null | undefined,
): Promise<void> {
  const { dataSource, target, label, catalog } = table;
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const code of codes) {
    if (seen.has(code)) repeated.add(code);
    seen.add(code);
  }
  if (repeated.size > 0) {
    throw badUserInput(
      "codes",
      `codes names ${named([...repeated])} more than once: name each ${label} once`,
    );
  }
  try {
    await runTransaction(dataSource, async (tx) => {
      // The revision first: it serialises this with every other settings change.
      const revision = await catalog.bumpRevision(tx);
      if (
        expectedRevision !== undefined &&
        expectedRevision !== null &&
        expectedRevision !== String(revision - 1)
      ) {
        throw conflict(
          `The statuses changed since revision ${expectedRevision} (it is ${revision - 1} now): read them again and reorder what you read.`,
          "expectedRevision",
        );
      }
      const statuses = scoped(tx, target);
      const rows = await statuses.find({ order: { sort: "ASC", id: "ASC" } as never });
      const byCode = new Map(rows.map((row) => [row.code, row]));
      const unknown = codes.filter((code) => !byCode.has(code));
      if (unknown.length > 0) {
        throw badUserInput("codes", `codes names ${named(unknown)}, which no ${label} has`);
      }
      const missing = rows.filter((row) => !seen.has(row.code)).map((row) => row.code);
      if (missing.length > 0) {
        throw badUserInput(
          "codes",
          `codes must name every ${label} (the order is of the whole list): ${named(missing)} missing`,
        );
      }
      const moved = codes.flatMap((code, index) => {
        const row = byCode.get(code) as T;
        const sort = (index + 1) * SORT_STEP;
        return row.sort === sort ? [] : [{ row, sort }];
      });
      // Every sort already where the list puts it: the order is the one asked for.
      if (moved.length === 0) throw new OrderUnchanged();
      const before = rows.map((row) => row.code);
      const now = currentTimestamp();
      for (const { row, sort } of moved) {
        await statuses.update({ id: row.id } as never, { sort, updatedAt: now } as never);
      }
      await writeAudit(tx, {
        actor,
        action: AuditAction.REORDER,
        entityType: listType,
        entityId: currentAccountId(),
        changes: [{ field: "order", before, after: [...codes] }],
      });
      const written = new Map(
        (
          await statuses.find({
            where: { id: In(moved.map(({ row }) => row.id)) } as never,
            relations: table.relations,
          })
        ).map((row) => [row.id, row]),
      );
      await catalog.appendChanges(
        tx,
        revision,
        moved.map(({ row, sort }) => ({
          type: table.changeTypes.updated,
          entityId: row.id,
          data: eventDataOf(table, written.get(row.id) as T, [
            { field: "sort", before: row.sort, after: sort },
          ]),
        })),
      );
    }).finally(() => catalog.invalidate());
  } catch (error) {
    if (!(error instanceof OrderUnchanged)) throw error;
  }
}
