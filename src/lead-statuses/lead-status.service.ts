import { In, type DataSource, type Repository } from "typeorm";
import { LeadStatusCategory, StatusType } from "../common/enums";
import { matchesSearch, normalizeSearchTerm } from "../common/search";
import { parseId } from "../common/ids";
import {
  findByCode,
  idOrCodeCondition,
  insertStatus,
  nextSort,
  updateStatus,
} from "../common/status-persistence";
import { AuditEntityType } from "../audit/audit-entry.entity";
import { assertAllowed, Permission } from "../auth/permissions";
import type { Principal } from "../auth/principal";
import { badUserInput } from "../errors";
import { LeadStatus } from "./lead-status.entity";

export interface LeadStatusFilterParams {
  search?: string | null;
  category?: LeadStatusCategory | null;
  type?: StatusType | null;
}

export interface CreateLeadStatusParams {
  code?: string | null;
  title: string;
  category: LeadStatusCategory;
  color?: string;
  sort?: number;
}

export interface UpdateLeadStatusParams {
  title?: string;
  color?: string;
  sort?: number;
  category?: LeadStatusCategory;
  expectedVersion?: number | null;
}

export const DEFAULT_LEAD_STATUS_COLOR = "#9E9E9E";
const LABEL = "lead status";

/** Every rule about lead statuses. */
export class LeadStatusService {
  private readonly repo: Repository<LeadStatus>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(LeadStatus);
  }

  /** Lead statuses matching `filter`, ordered by sort, then id. */
  async list(filter: LeadStatusFilterParams, actor: Principal): Promise<LeadStatus[]> {
    assertAllowed(actor, Permission.ReadLeadStatuses);
    const rows = await this.repo.find({ order: { sort: "ASC", id: "ASC" } });
    const term = normalizeSearchTerm(filter.search);
    return rows.filter(
      (s) =>
        matchesSearch(s, term) &&
        (!filter.category || s.category === filter.category) &&
        (!filter.type || s.type === filter.type),
    );
  }

  /** The lead status with exactly one of `id` / `code`, or null. */
  async findOne(
    args: { id?: string | number | null; code?: string | null },
    actor: Principal,
  ): Promise<LeadStatus | null> {
    assertAllowed(actor, Permission.ReadLeadStatuses);
    const where = idOrCodeCondition(args);
    return where && this.repo.findOne({ where });
  }

  /** Lead statuses by id, for batching relation fields. */
  async findByIds(ids: readonly number[]): Promise<LeadStatus[]> {
    if (ids.length === 0) return [];
    return this.repo.find({ where: { id: In([...ids]) } });
  }

  /** The id of the lead status with `code`; BAD_USER_INPUT naming `field` when there is none. */
  async idForCode(code: string, field: string): Promise<number> {
    const found = await findByCode(this.repo, code);
    if (!found) throw badUserInput(field, `${field}: there is no lead status with code "${code}"`);
    return found.id;
  }

  async create(input: CreateLeadStatusParams, actor: Principal): Promise<LeadStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    const id = await insertStatus(
      this.repo,
      LABEL,
      input.code,
      {
        title: input.title.trim(),
        category: input.category,
        color: (input.color ?? DEFAULT_LEAD_STATUS_COLOR).toUpperCase(),
        sort: input.sort ?? (await nextSort(this.repo)),
        type: StatusType.CUSTOM,
      },
      { actor, entityType: AuditEntityType.LEAD_STATUS },
    );
    return this.repo.findOneOrFail({ where: { id } });
  }

  async update(
    rawId: string | number,
    input: UpdateLeadStatusParams,
    actor: Principal,
  ): Promise<LeadStatus> {
    assertAllowed(actor, Permission.ManageStatuses);
    const id = parseId(rawId);
    await updateStatus(
      this.repo,
      LABEL,
      id,
      input.expectedVersion,
      (current) => {
        if (
          input.category !== undefined &&
          input.category !== current.category &&
          current.type === StatusType.SYSTEM
        ) {
          throw badUserInput(
            "category",
            `category of the system lead status "${current.code}" cannot change`,
          );
        }
        return {
          title: input.title?.trim(),
          color: input.color?.toUpperCase(),
          sort: input.sort,
          category: input.category,
        };
      },
      { actor, entityType: AuditEntityType.LEAD_STATUS },
    );
    return this.repo.findOneOrFail({ where: { id } });
  }
}
