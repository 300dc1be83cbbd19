import { In, type DataSource } from "typeorm";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { LeadStatusCategory } from "../statuses/status.enums";
import type { Page, PageParams } from "../common/pagination";
import { parseId } from "../common/ids";
import { findByCode } from "../statuses/status-persistence";
import { currentTimestamp } from "../common/time";
import { byIdDescending, countUpTo, fetchPage } from "../db/pages";
import { FULL_TEXT_MIN_WORD, fullTextSql, type FullTextIndex } from "../db/search-sql";
import { encodeCursor, resolvePage, toPage } from "../common/pagination";
import { fullTextDocument, fullTextWords } from "../common/search";
import { toE164 } from "../common/phone";
import { runTransaction } from "../db/writes";
import { badUserInput, conflict } from "../common/errors";
import { uniqueViolationColumn } from "../db/errors";
import { LeadStatus } from "../statuses/lead-status.entity";
import type { LeadStatusService } from "../statuses/lead-status.service";
import { Lead } from "./lead.entity";
import { ACCOUNT, queryInAccount, scoped, type ScopedRepository } from "../db/account-scope";

export interface CreateLeadParams {
  externalId?: string | null;
  phone?: string | null;
  name?: string | null;
  statusCode?: string | null;
}

export interface LeadFilterParams {
  statusCode?: string | null;
  category?: LeadStatusCategory | null;
  search?: string | null;
  phone?: string | null;
  externalId?: string | null;
}

export interface LeadServiceOptions {
  /** Where a phone number without a country code is assumed to be (ISO 3166 alpha-2). */
  phoneRegion?: string;
}

export const DEFAULT_LEAD_STATUS_CODE = "new";
export const LEAD_CURSOR = "lead";
/** Words a name search may have at most (each one is a condition). */
export const MAX_SEARCH_WORDS = 8;

const LEAD_ORDER = byIdDescending<Lead>("lead", LEAD_CURSOR);

/** The full-text index of lead names (built by migration 008). */
const NAME_INDEX: FullTextIndex = {
  column: "lead.search_name",
  id: "lead.id",
  ftsTable: "leads_fts",
};

function blankToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** Every rule about leads (recording calls, which moves them, is in CallService). */
export class LeadService {
  private readonly leads: ScopedRepository<Lead>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly leadStatuses: LeadStatusService,
    private readonly options: LeadServiceOptions = {},
  ) {
    this.leads = scoped(dataSource, Lead);
  }

  /**
   * Creates a lead. It starts in an IN_PROGRESS-category status (default `new`); a duplicate
   * `externalId` is CONFLICT.
   */
  async create(input: CreateLeadParams, actor: Principal): Promise<Lead> {
    assertAllowed(actor, Permission.CreateLeads);
    const statusCode = blankToNull(input.statusCode) ?? DEFAULT_LEAD_STATUS_CODE;
    const status = await findByCode(this.dataSource, LeadStatus, statusCode);
    if (!status) {
      throw badUserInput(
        "statusCode",
        `statusCode: there is no lead status with code "${statusCode}"`,
      );
    }
    if (status.category !== LeadStatusCategory.IN_PROGRESS) {
      throw badUserInput(
        "statusCode",
        `statusCode: a new lead must start in an IN_PROGRESS status; "${statusCode}" is ${status.category}`,
      );
    }
    const externalId = blankToNull(input.externalId);
    const phone = blankToNull(input.phone);
    const name = blankToNull(input.name);
    const now = currentTimestamp();
    try {
      // A transaction, not a lone INSERT: see `runWrite` (a Galera node retrying a lone INSERT
      // after a conflict would hand back the id of the failed try).
      const id = await runTransaction(this.dataSource, (manager) =>
        scoped(manager, Lead).insert({
          externalId,
          phone,
          phoneE164: toE164(phone, this.options.phoneRegion),
          name,
          searchName: fullTextDocument(name),
          statusId: status.id,
          createdAt: now,
          updatedAt: now,
        }),
      );
      return this.leads.findOneOrFail({ where: { id } });
    } catch (error) {
      if (uniqueViolationColumn(error) !== undefined) {
        throw conflict(`A lead with externalId "${externalId}" already exists`, "externalId");
      }
      throw error;
    }
  }

  /** The lead with `id`, or null. */
  async findById(rawId: string | number, actor: Principal): Promise<Lead | null> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    return this.leads.findOne({ where: { id: parseId(rawId, "id") } });
  }

  /** Leads by id, for batching relation fields. */
  async findByIds(ids: readonly number[]): Promise<Lead[]> {
    return ids.length === 0 ? [] : this.leads.find({ where: { id: In([...ids]) } });
  }

  /**
   * A page of leads, newest first (by id). Every filter is served by an index that starts with
   * the account: `externalId` (exact), `phone` (its E.164 form), `search` (the words of the
   * name, through the full-text index), the status or category (one index range per status).
   */
  async list(filter: LeadFilterParams, page: PageParams, actor: Principal): Promise<Page<Lead>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const query = this.leads.queryBuilder("lead");
    const statusIds = await this.statusIdsOf(filter, actor);
    if (statusIds !== null) {
      if (statusIds.length === 0) query.andWhere("1 = 0");
      else query.andWhere("lead.status_id IN (:...statusIds)", { statusIds });
    }
    const externalId = blankToNull(filter.externalId);
    if (externalId !== null) query.andWhere("lead.external_id = :externalId", { externalId });
    const phone = blankToNull(filter.phone);
    if (phone !== null) {
      const e164 = toE164(phone, this.options.phoneRegion);
      if (e164 === null) {
        throw badUserInput(
          "phone",
          `phone: "${phone}" is not a phone number${this.options.phoneRegion ? "" : " with a country code (e.g. +44 20 7183 8750)"}`,
        );
      }
      query.andWhere("lead.phone_e164 = :phone", { phone: e164 });
    }
    const words = searchWords(filter.search);
    if (words !== null) {
      const { sql, parameters } = fullTextSql(this.dataSource, NAME_INDEX, words);
      query.andWhere(sql, parameters);
    }
    // MySQL/MariaDB (SQLite needs no hint and ignores it): the most selective index that also
    // gives the order. Left to itself, MariaDB may intersect the status foreign key's index
    // with another and sort the result — a cost that grows with the list. Never with a name
    // search: MATCH needs the full-text index, which a hint naming another one would exclude.
    if (words === null) {
      if (externalId !== null) query.useIndex("UQ_leads_external_id");
      else if (phone !== null) query.useIndex("IDX_leads_phone");
      else query.useIndex(statusIds ? "IDX_leads_status" : "IDX_leads_account");
    }
    if (statusIds && statusIds.length > 1 && !externalId && !phone && !words) {
      return this.pageOfStatuses(statusIds, query, page);
    }
    return fetchPage(query, LEAD_ORDER, page);
  }

  /** The status ids the filter allows (from the in-memory lists); null when it allows all. */
  private async statusIdsOf(filter: LeadFilterParams, actor: Principal): Promise<number[] | null> {
    if (!filter.statusCode && !filter.category) return null;
    const statuses = await this.leadStatuses.list({ category: filter.category }, actor);
    return statuses
      .filter((status) => !filter.statusCode || status.code === filter.statusCode)
      .map((status) => status.id);
  }

  /**
   * Newest first among leads of several statuses: one index range per status (each read no
   * further than the page), merged — so that a rare category costs its page too, where one
   * range over `status_id IN (…)` would have to sort every lead of the category.
   */
  private async pageOfStatuses(
    statusIds: number[],
    query: ReturnType<ScopedRepository<Lead>["queryBuilder"]>,
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

/** The words of a name search; null when there is no search; BAD_USER_INPUT when no index can serve it. */
function searchWords(search: string | null | undefined): string[] | null {
  if (search === null || search === undefined || search.trim() === "") return null;
  const words = fullTextWords(search).split(" ").filter(Boolean);
  if (!words.some((word) => word.length >= FULL_TEXT_MIN_WORD)) {
    throw badUserInput(
      "search",
      `search: give at least one word of ${FULL_TEXT_MIN_WORD} or more letters or digits`,
    );
  }
  if (words.length > MAX_SEARCH_WORDS) {
    throw badUserInput("search", `search: at most ${MAX_SEARCH_WORDS} words`);
  }
  return words;
}
