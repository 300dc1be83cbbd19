import type { DataSource } from "typeorm";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { badUserInput, conflict } from "../common/errors";
import { parseId } from "../common/ids";
import type { Page, PageParams } from "../common/pagination";
import { toE164 } from "../common/phone";
import { fullTextDocument, fullTextWords, SEARCH_INDEX_MIN_WORD } from "../common/search";
import { filterText, optionalTexts } from "../common/filters";
import { currentTimestamp } from "../common/time";
import { uniqueViolationColumn } from "../db/errors";
import { runTransaction } from "../db/writes";
import { ChangeType } from "../changes/change.entity";
import type { ChangeLog } from "../changes/change-log";
import type { LeadStatusService } from "../statuses/lead-status.service";
import { LeadStatusCategory } from "../statuses/status.enums";
import type { Lead } from "./lead.entity";
import type { LeadRepository } from "./lead.repository";
import { leadEventData } from "./lead-events";

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
/** Words a name search may have at most (each one is a condition). */
export const MAX_SEARCH_WORDS = 8;

/** Every rule about leads (recording calls, which moves them, is in CallService). */
export class LeadService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly leads: LeadRepository,
    private readonly leadStatuses: LeadStatusService,
    private readonly changes: ChangeLog,
    private readonly options: LeadServiceOptions = {},
  ) {}

  /**
   * Creates a lead. It starts in an IN_PROGRESS-category status (default `new`); a duplicate
   * `externalId` is CONFLICT; a field given empty or blank is BAD_USER_INPUT (left out: none).
   */
  async create(input: CreateLeadParams, actor: Principal): Promise<Lead> {
    assertAllowed(actor, Permission.CreateLeads);
    // Every field may be left out; none may be given blank.
    const { externalId, phone, name, ...given } = optionalTexts(input, [
      "externalId",
      "phone",
      "name",
      "statusCode",
    ]);
    const statusCode = given.statusCode ?? DEFAULT_LEAD_STATUS_CODE;
    const status = await this.leadStatuses.byCodeFromDatabase(statusCode, "statusCode");
    if (status.category !== LeadStatusCategory.IN_PROGRESS) {
      throw badUserInput(
        "statusCode",
        `statusCode: a new lead must start in an IN_PROGRESS status; "${statusCode}" is ${status.category}`,
      );
    }
    const now = currentTimestamp();
    try {
      // A transaction, not a lone INSERT: see `runWrite` (a Galera node retrying a lone INSERT
      // after a conflict would hand back the id of the failed try).
      const id = await runTransaction(this.dataSource, async (tx) => {
        const leadId = await this.leads.insert(tx, {
          externalId,
          phone,
          phoneE164: toE164(phone, this.options.phoneRegion),
          name,
          searchName: fullTextDocument(name),
          statusId: status.id,
          createdAt: now,
          updatedAt: now,
        });
        await this.changes.append(tx, {
          type: ChangeType.LEAD_CREATED,
          entityId: leadId,
          leadId,
          data: {
            lead: leadEventData(
              { id: leadId, externalId, name, phone, version: 1, createdAt: now, updatedAt: now },
              status,
            ),
          },
        });
        return leadId;
      });
      return this.leads.byIdOrFail(id);
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
    return this.leads.byId(parseId(rawId, "id"));
  }

  /** Leads by id, for batching relation fields. */
  async findByIds(ids: readonly number[]): Promise<Lead[]> {
    return this.leads.byIds(ids);
  }

  /**
   * A page of leads, newest first (by id). Every filter is served by an index that starts with
   * the account: `externalId` (exact), `phone` (its E.164 form), `search` (the words of the
   * name, through the word index), the status or category (one index range per status).
   */
  async list(given: LeadFilterParams, page: PageParams, actor: Principal): Promise<Page<Lead>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const filter: LeadFilterParams = {
      category: given.category,
      statusCode: filterText(given.statusCode, "statusCode"),
      externalId: filterText(given.externalId, "externalId"),
      phone: filterText(given.phone, "phone"),
      search: filterText(given.search, "search"),
    };
    const phone = filter.phone ?? null;
    let phoneE164: string | null = null;
    if (phone !== null) {
      phoneE164 = toE164(phone, this.options.phoneRegion);
      if (phoneE164 === null) {
        throw badUserInput(
          "phone",
          `phone: "${phone}" is not a phone number${this.options.phoneRegion ? "" : " with a country code (e.g. +44 20 7183 8750)"}`,
        );
      }
    }
    const nameWords = searchWords(filter.search);
    return this.leads.page(
      {
        statusIds: await this.statusIdsOf(filter, actor),
        externalId: filter.externalId ?? null,
        phoneE164,
        nameWords,
      },
      page,
    );
  }

  /** The status ids the filter allows (from the in-memory lists); null when it allows all. */
  private async statusIdsOf(filter: LeadFilterParams, actor: Principal): Promise<number[] | null> {
    if (!filter.statusCode && !filter.category) return null;
    const statuses = await this.leadStatuses.list({ category: filter.category }, actor);
    return statuses
      .filter((status) => !filter.statusCode || status.code === filter.statusCode)
      .map((status) => status.id);
  }
}

/** The words of a name search; null when there is no search; BAD_USER_INPUT when no index can serve it. */
function searchWords(search: string | null | undefined): string[] | null {
  // Blank was refused already (`filterText`): absent means no search.
  if (search === null || search === undefined) return null;
  const words = fullTextWords(search).split(" ").filter(Boolean);
  if (!words.some((word) => word.length >= SEARCH_INDEX_MIN_WORD)) {
    throw badUserInput(
      "search",
      `search: give at least one word of ${SEARCH_INDEX_MIN_WORD} or more letters or digits`,
    );
  }
  if (words.length > MAX_SEARCH_WORDS) {
    throw badUserInput("search", `search: at most ${MAX_SEARCH_WORDS} words`);
  }
  return words;
}
