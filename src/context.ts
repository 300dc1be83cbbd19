/**
 * The GraphQL context every resolver receives: the request (graphql/context.ts), the caller, the
 * services, and per-request batching. Part of the composition: it names every feature's service.
 */
import DataLoader from "dataloader";
import { perRequest } from "./db/request-scope";
import type { RequestContext } from "./graphql/context";
import type { AiService } from "./ai/ai.service";
import type { AuditEntityType, AuditEntry } from "./audit/audit-entry.entity";
import type { AuditService } from "./audit/audit.service";
import type { ApiKeyService } from "./auth/api-key.service";
import type { Principal } from "./auth/principal";
import type { CallStatus } from "./statuses/call-status.entity";
import type { AudienceFilterParams, CallStatusService } from "./statuses/call-status.service";
import type { LeadStatus } from "./statuses/lead-status.entity";
import type { LeadStatusService } from "./statuses/lead-status.service";
import type { Call } from "./calls/call.entity";
import type { CallService } from "./calls/call.service";
import type { Page, PageParams } from "./common/pagination";
import type { Lead } from "./leads/lead.entity";
import type { LeadService } from "./leads/lead.service";

/** The services, created once per app. */
export interface Services {
  callStatuses: CallStatusService;
  leadStatuses: LeadStatusService;
  apiKeys: ApiKeyService;
  leads: LeadService;
  calls: CallService;
  ai: AiService;
  audit: AuditService;
}

/** Per-request batching of relation fields, so lists cost a bounded number of SQL statements. */
export class Loaders {
  readonly leadStatusById: DataLoader<number, LeadStatus | null>;
  readonly callStatusById: DataLoader<number, CallStatus | null>;
  readonly leadById: DataLoader<number, Lead | null>;
  private readonly callPages = new Map<string, DataLoader<number, Page<Call>>>();
  private readonly histories = new Map<AuditEntityType, DataLoader<number, AuditEntry[]>>();
  private readonly callStatusesByLeadStatus = new Map<string, DataLoader<number, CallStatus[]>>();

  constructor(private readonly services: Services) {
    this.leadStatusById = new DataLoader(async (ids) => {
      const rows = await services.leadStatuses.findByIds(ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.callStatusById = new DataLoader(async (ids) => {
      const rows = await services.callStatuses.findByIds(ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.leadById = new DataLoader(async (ids) => {
      const rows = await services.leads.findByIds(ids);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  /** The audit history of a record; one batch per kind of record. */
  historyOf(type: AuditEntityType, id: number, principal: Principal): Promise<AuditEntry[]> {
    let loader = this.histories.get(type);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const byId = await this.services.audit.historyOf(type, ids, principal);
        return ids.map((entityId) => byId.get(entityId) ?? []);
      });
      this.histories.set(type, loader);
    }
    return loader.load(id);
  }

  /** A page of a lead's calls; the leads of one list asking the same page share one batch. */
  callsOfLead(leadId: number, page: PageParams): Promise<Page<Call>> {
    const key = `${page.first ?? ""}|${page.after ?? ""}`;
    let loader = this.callPages.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const pages = await this.services.calls.pagesForLeads(ids, page);
        return ids.map((id) => pages.get(id)!);
      });
      this.callPages.set(key, loader);
    }
    return loader.load(leadId);
  }

  /** Call statuses of a lead status offered to `audience`; one loader per distinct audience. */
  callStatusesOf(leadStatusId: number, audience: AudienceFilterParams): Promise<CallStatus[]> {
    const key = `${audience.visibleTo ?? ""}|${audience.afterCallTransfer === true}`;
    let loader = this.callStatusesByLeadStatus.get(key);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const grouped = await this.services.callStatuses.listByLeadStatusIds(ids, audience);
        return ids.map((id) => grouped.get(id) ?? []);
      });
      this.callStatusesByLeadStatus.set(key, loader);
    }
    return loader.load(leadStatusId);
  }
}

export interface GraphQLContext extends RequestContext {
  /** Who is calling; every operation is authenticated before it runs. */
  principal: Principal;
  services: Services;
  /**
   * Per-request batching. Made anew after every write of the request (see `perRequest`), so a
   * mutation's later fields never see what was loaded before its earlier fields wrote.
   */
  readonly loaders: Loaders;
}

/** The context of one authenticated request. */
export function createContext(
  base: RequestContext,
  principal: Principal,
  services: Services,
): GraphQLContext {
  return {
    ...base,
    principal,
    services,
    get loaders() {
      return perRequest(Loaders, () => new Loaders(services));
    },
  };
}
