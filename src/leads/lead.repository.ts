/**
 * Every statement about the `leads` table: the insert, look-ups by id, the row lock and status
 * move of a recorded call, and the pages (newest first by id), each filter through an index that
 * starts with the account. The rules are in `lead.service.ts` (and, for moving a lead, in
 * `calls/call.service.ts`); nothing here decides anything but how to read and write.
 */
import { In, type DataSource } from "typeorm";
import {
  encodeCursor,
  resolvePage,
  toPage,
  type Page,
  type PageParams,
} from "../common/pagination";
import {
  ACCOUNT,
  queryInAccount,
  scoped,
  type ScopedRepository,
  type ScopedSelectQueryBuilder,
} from "../db/account-scope";
import { byIdDescending, countUpTo, fetchPage } from "../db/pages";
import { documentWords, prefixRange, SEARCH_INDEX_MIN_WORD } from "../common/search";
import type { Transaction } from "../db/transaction";
import { Lead } from "./lead.entity";
import { LeadNameWord } from "./lead-name-word.entity";

export const LEAD_CURSOR = "lead";

const LEAD_ORDER = byIdDescending<Lead>("lead", LEAD_CURSOR);

/** The columns of a new lead (the account comes from the scope). */
export type NewLead = Pick<
  Lead,
  | "externalId"
  | "phone"
  | "phoneE164"
  | "name"
  | "searchName"
  | "statusId"
  | "createdAt"
  | "updatedAt"
>;

/** Which leads a page holds, already normalised by the service; every condition must hold. */
export interface LeadConditions {
  /** Leads in one of these statuses; null: any status. */
  statusIds: number[] | null;
  externalId: string | null;
  /** The E.164 form. */
  phoneE164: string | null;
  /** Words of the name, as `fullTextWords` folds them. */
  nameWords: string[] | null;
}

export class LeadRepository {
  private readonly leads: ScopedRepository<Lead>;

  constructor(private readonly dataSource: DataSource) {
    this.leads = scoped(dataSource, Lead);
  }

  /**
   * Writes a new lead, and the words of its name into the word index, inside the caller's
   * transaction; answers its id.
   */
  async insert(tx: Transaction, row: NewLead): Promise<number> {
    const id = await scoped(tx, Lead).insert(row);
    const words = documentWords(row.searchName);
    if (words.length > 0) {
      await scoped(tx, LeadNameWord).insertMany(words.map((word) => ({ leadId: id, word })));
    }
    return id;
  }

  byId(id: number): Promise<Lead | null> {
    return this.leads.findOne({ where: { id } });
  }

  byIdOrFail(id: number): Promise<Lead> {
    return this.leads.findOneOrFail({ where: { id } });
  }

  byIds(ids: readonly number[]): Promise<Lead[]> {
    return ids.length === 0
      ? Promise.resolve([])
      : this.leads.find({ where: { id: In([...ids]) } });
  }

  /**
   * The lead, locked until the caller's transaction ends, so that results recorded in parallel
   * for one lead apply one after the other. On SQLite the write gate already serialises
   * transactions (and it has no row locks).
   */
  lockForUpdate(tx: Transaction, id: number): Promise<Lead | null> {
    const sqlite = this.dataSource.options.type === "better-sqlite3";
    return scoped(tx, Lead).findOne({
      where: { id },
      ...(sqlite ? {} : { lock: { mode: "pessimistic_write" as const } }),
    });
  }

  /** Moves the lead to another status inside the caller's transaction. */
  async setStatus(tx: Transaction, id: number, statusId: number, at: Date): Promise<void> {
    await scoped(tx, Lead).update({ id }, { statusId, updatedAt: at });
  }

  /**
   * A page of the leads meeting `conditions`, newest first (by id). Every filter is served by an
   * index that starts with the account: `externalId` (exact), `phone` (its E.164 form), the name
   * words (through the word index), the status or category (one index range per status).
   */
  page(conditions: LeadConditions, page: PageParams): Promise<Page<Lead>> {
    const { statusIds, externalId, phoneE164, nameWords } = conditions;
    const query = this.leads.queryBuilder("lead");
    if (statusIds !== null) {
      if (statusIds.length === 0) query.andWhere("1 = 0");
      else query.andWhere("lead.status_id IN (:...statusIds)", { statusIds });
    }
    if (externalId !== null) query.andWhere("lead.external_id = :externalId", { externalId });
    if (phoneE164 !== null) query.andWhere("lead.phone_e164 = :phone", { phone: phoneE164 });
    if (nameWords !== null) this.matchName(query, nameWords);
    // MySQL/MariaDB (SQLite needs no hint and ignores it): the most selective index that also
    // gives the order. Left to itself, MariaDB may intersect the status foreign key's index
    // with another and sort the result — a cost that grows with the list. With a name search
    // the planner chooses: the account's words that match are few, or the search is its own.
    if (nameWords === null) {
      if (externalId !== null) query.useIndex("UQ_leads_external_id");
      else if (phoneE164 !== null) query.useIndex("IDX_leads_phone");
      else query.useIndex(statusIds ? "IDX_leads_status" : "IDX_leads_account");
    }
    if (statusIds && statusIds.length > 1 && !externalId && !phoneE164 && !nameWords) {
      return this.pageOfStatuses(statusIds, query, page);
    }
    return fetchPage(query, LEAD_ORDER, page);
  }

  /**
   * "Every word of the search begins a word of the name". The longest word (a longer prefix
   * matches fewer names) is looked up in the word index as one range of
   * `IDX_lead_name_words_search` — (account, word) first, so that it reads the caller's own
   * words only; the other words are checked with `LIKE` on the names found. `words` are folded
   * already (`fullTextWords`): letters and digits only, nothing a `LIKE` wildcard.
   */
  private matchName(query: ScopedSelectQueryBuilder<Lead>, words: readonly string[]): void {
    const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
    if (longest.length < SEARCH_INDEX_MIN_WORD) throw new Error("the service checks word lengths");
    const { from, to } = prefixRange(longest);
    const matching = scoped(this.dataSource, LeadNameWord)
      .queryBuilder("word")
      .select("word.lead_id")
      .andWhere("word.word >= :wordFrom AND word.word < :wordTo", { wordFrom: from, wordTo: to });
    query.andWhere(`lead.id IN (${matching.getQuery()})`, matching.getParameters());
    // Compared byte for byte on MySQL/MariaDB (both sides are folded already), as on SQLite.
    const sqlite = this.dataSource.options.type === "better-sqlite3";
    const text = sqlite ? "lead.search_name" : "lead.search_name COLLATE utf8mb4_bin";
    words
      .filter((_, i) => i !== words.indexOf(longest))
      .forEach((word, i) => {
        query.andWhere(`(${text} LIKE :wordStart${i} OR ${text} LIKE :wordInside${i})`, {
          [`wordStart${i}`]: `${word}%`,
          [`wordInside${i}`]: `% ${word}%`,
        });
      });
  }

  /**
   * Newest first among leads of several statuses: one index range per status (each read no
   * further than the page), merged — so that a rare category costs its page too, where one
   * range over `status_id IN (…)` would have to sort every lead of the category.
   */
  private async pageOfStatuses(
    statusIds: number[],
    query: ScopedSelectQueryBuilder<Lead>,
    page: PageParams,
  ): Promise<Page<Lead>> {
    const position = resolvePage(LEAD_CURSOR, page);
    const before = position.after?.[0];
    const hint =
      this.dataSource.options.type === "better-sqlite3" ? "" : " USE INDEX (IDX_leads_status)";
    const branch = `SELECT id FROM leads${hint} WHERE account_id = ? AND status_id = ?${before === undefined ? "" : " AND id < ?"} ORDER BY id DESC LIMIT ?`;
    const ranked: Array<{ id: number | string }> = await queryInAccount(
      this.dataSource,
      `SELECT id FROM (${statusIds
        .map((_, i) => `SELECT id FROM (${branch}) s${i}`)
        .join(" UNION ALL ")}) merged ORDER BY id DESC LIMIT ?`,
      [
        ...statusIds.flatMap((statusId) => [
          ACCOUNT,
          statusId,
          ...(before === undefined ? [] : [before]),
          position.limit + 1,
        ]),
        position.limit + 1,
      ],
    );
    const ids = ranked.map((row) => Number(row.id));
    const rows = ids.length === 0 ? [] : await this.leads.find({ where: { id: In(ids) } });
    rows.sort((a, b) => b.id - a.id);
    return toPage(
      rows,
      position,
      (lead) => encodeCursor(LEAD_CURSOR, lead.id),
      () => countUpTo(query, "lead.id"),
    );
  }
}
