/**
 * The change feed (`Query.changes`): the account's change log in the order its entries became
 * visible (`seq`, see `ChangeSequencer`), a page at a time, so that an integration that was
 * offline reads on from its last cursor and misses nothing. Only numbered entries are served: an
 * entry shows in the feed shortly after its commit (within the sequencer's poll, 0.5 s).
 */
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { scoped } from "../db/account-scope";
import { badUserInput } from "../common/errors";
import { countUpTo } from "../db/pages";
import { readThroughGate } from "../db/writes";
import {
  encodeCursor,
  resolvePage,
  toPage,
  type Page,
  type PageParams,
} from "../common/pagination";
import type { DataSource } from "typeorm";
import { ChangeLogEntry, ChangeType } from "./change.entity";
import { eventId } from "./event-data";

/** The version of every event type's `data` shape today. */
export const EVENT_VERSION = 1;

const CURSOR_KIND = "change";

/** The change event types, as the feed and webhooks name them. */
export const CHANGE_TYPES: readonly string[] = Object.values(ChangeType);

/** A change as the feed and webhooks give it. */
export interface ChangeView {
  id: string;
  type: string;
  version: number;
  occurredAt: Date;
  entityId: string;
  leadId: string | null;
  data: Record<string, unknown> | null;
}

/** An entry as the feed and webhooks give it. */
export function changeView(entry: ChangeLogEntry): ChangeView {
  return {
    id: eventId(entry.id),
    type: entry.type,
    version: EVENT_VERSION,
    occurredAt: entry.createdAt,
    entityId: eventId(entry.entityId),
    leadId: eventId(entry.leadId),
    data: entry.data === null ? null : (JSON.parse(entry.data) as Record<string, unknown>),
  };
}

/**
 * The event types in `types` (each one of `CHANGE_TYPES`), or every type when absent;
 * BAD_USER_INPUT naming `field` otherwise.
 */
export function eventTypes(
  types: readonly string[] | null | undefined,
  field: string,
): ChangeType[] {
  if (types === null || types === undefined) return [...(CHANGE_TYPES as ChangeType[])];
  if (types.length === 0) throw badUserInput(field, `${field}: give at least one event type`);
  const unknown = types.filter((type) => !CHANGE_TYPES.includes(type));
  if (unknown.length > 0) {
    throw badUserInput(
      field,
      `${field}: unknown event type ${JSON.stringify(unknown[0])}; the types are ${CHANGE_TYPES.join(", ")}`,
    );
  }
  return [...new Set(types)] as ChangeType[];
}

export class ChangeFeed {
  constructor(private readonly dataSource: DataSource) {}

  /** A page of the caller's account's changes of `types`, oldest first, after `page.after`. */
  async page(
    page: PageParams,
    types: readonly string[] | null | undefined,
    actor: Principal,
  ): Promise<Page<ChangeView>> {
    assertAllowed(actor, Permission.ReadChanges);
    const wanted = eventTypes(types, "types");
    const position = resolvePage(CURSOR_KIND, page);
    const entries = scoped(this.dataSource, ChangeLogEntry);
    const query = () => {
      const builder = entries.queryBuilder("entry").where("entry.seq IS NOT NULL");
      if (wanted.length < CHANGE_TYPES.length) {
        builder.andWhere("entry.type IN (:...types)", { types: wanted });
      }
      return builder;
    };
    const rows = query();
    if (position.after) rows.andWhere("entry.seq > :after", { after: position.after[0] });
    // On SQLite through the write gate: its one connection would show a numbering in progress.
    const found = await readThroughGate(this.dataSource, () =>
      rows
        .orderBy("entry.seq", "ASC")
        .limit(position.limit + 1)
        .getMany(),
    );
    const result = toPage(
      found,
      position,
      (entry) => encodeCursor(CURSOR_KIND, Number(entry.seq)),
      () => countUpTo(query(), "entry.id"),
    );
    return { ...result, nodes: result.nodes.map(changeView) };
  }
}
