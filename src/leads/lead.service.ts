import { In, type DataSource } from "typeorm";
import { assertAllowed, Permission } from "../auth/permissions";
import type { Principal } from "../auth/principal";
import { LeadStatusCategory } from "../statuses/status.enums";
import type { Page, PageParams } from "../common/pagination";
import { isCode } from "../common/codes";
import { parseId } from "../common/ids";
import { findByCode } from "../statuses/status-persistence";
import { currentTimestamp } from "../common/time";
import { fetchPage } from "../db/pages";
import { containsSql, searchPattern } from "../db/search-sql";
import { runTransaction } from "../db/writes";
import { badUserInput, conflict } from "../common/errors";
import { uniqueViolationColumn } from "../db/errors";
import { LeadStatus } from "../statuses/lead-status.entity";
import { Lead } from "./lead.entity";
import { scoped, type ScopedRepository } from "../db/account-scope";

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
}

export const DEFAULT_LEAD_STATUS_CODE = "new";
export const LEAD_CURSOR = "lead";

function blankToNull(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/** Every rule about leads (recording calls, which moves them, is in CallService). */
export class LeadService {
  private readonly leads: ScopedRepository<Lead>;

  constructor(private readonly dataSource: DataSource) {
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
    const now = currentTimestamp();
    try {
      // A transaction, not a lone INSERT: see `runWrite` (a Galera node retrying a lone INSERT
      // after a conflict would hand back the id of the failed try).
      const id = await runTransaction(this.dataSource, (manager) =>
        scoped(manager, Lead).insert({
          externalId,
          phone: blankToNull(input.phone),
          name: blankToNull(input.name),
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
   * A page of leads, newest first. `search` matches a case-insensitive part of the name, the
   * phone or the external id.
   */
  async list(filter: LeadFilterParams, page: PageParams, actor: Principal): Promise<Page<Lead>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const query = this.leads.queryBuilder("lead").innerJoin("lead.status", "status");
    if (filter.statusCode) {
      if (!isCode(filter.statusCode)) query.andWhere("1 = 0"); // no such code can exist
      query.andWhere("status.code = :statusCode", { statusCode: filter.statusCode });
    }
    if (filter.category)
      query.andWhere("status.category = :category", { category: filter.category });
    const pattern = searchPattern(filter.search);
    if (pattern !== null) {
      const ds = this.dataSource;
      query.andWhere(
        `(${containsSql(ds, "lead.name", "q")} OR ${containsSql(ds, "lead.phone", "q")} OR ${containsSql(ds, "lead.external_id", "q")})`,
        { q: pattern },
      );
    }
    return fetchPage(query, "lead", LEAD_CURSOR, page);
  }
}
