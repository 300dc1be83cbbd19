/**
 * The GraphQL context every resolver receives: the request (graphql/context.ts), the caller, the
 * services, and per-request batching. Part of the composition: it names every feature's service.
 */
import DataLoader from "dataloader";
import { perRequest } from "./db/request-scope";
import type { RequestContext } from "./graphql/context";
import type { AccountService } from "./accounts/account.service";
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
  accounts: AccountService;
  callStatuses: CallStatusService;
  leadStatuses: LeadStatusService;
  apiKeys: ApiKeyService;
  leads: LeadService;
  calls: CallService;
  ai: AiService;
  audit: AuditService;
}

/** Looks up rows by id, for batching relation fields. */
function byIds<T extends { id: number }>(find: (ids: readonly number[]) => Promise<T[]>) {
  return async (ids: readonly number[]) => {
    const byId = new Map((await find(ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  };
}

/**
 * Per-request batching of relation fields, so lists cost a bounded number of SQL statements.
 * The batches live in the request's scope (see `perRequest`): a write of the request forgets
 * them, so a mutation's later fields never see what was loaded before its earlier fields wrote.
 */
export class Loaders {
  constructor(private readonly services: Services) {}

  /** The loader named `name` of the current request, made with `batch` on first use. */
  private loader<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>): DataLoader<K, V> {
    const loaders = perRequest(this, () => new Map<string, DataLoader<unknown, unknown>>());
    let loader = loaders.get(name) as DataLoader<K, V> | undefined;
    if (!loader) {
      loader = new DataLoader(batch);
      loaders.set(name, loader as DataLoader<unknown, unknown>);
    }
    return loader;
  }

  leadStatus(id: number): Promise<LeadStatus | null> {
    const { leadStatuses } = this.services;
    return this.loader(
      "leadStatus",
      byIds((ids) => leadStatuses.findByIds(ids)),
    ).load(id);
  }

  callStatus(id: number): Promise<CallStatus | null> {
    const { callStatuses } = this.services;
    return this.loader(
      "callStatus",
      byIds((ids) => callStatuses.findByIds(ids)),
    ).load(id);
  }

  lead(id: number): Promise<Lead | null> {
    const { leads } = this.services;
    return this.loader(
      "lead",
      byIds((ids) => leads.findByIds(ids)),
    ).load(id);
  }

  /** The audit history of a record; one batch per kind of record. */
  historyOf(type: AuditEntityType, id: number, principal: Principal): Promise<AuditEntry[]> {
    return this.loader<number, AuditEntry[]>(`history:${type}`, async (ids) => {
      const byId = await this.services.audit.historyOf(type, ids, principal);
      return ids.map((entityId) => byId.get(entityId) ?? []);
    }).load(id);
  }

  /** A page of a lead's calls; the leads of one list asking the same page share one batch. */
  callsOfLead(leadId: number, page: PageParams): Promise<Page<Call>> {
    const key = `calls:${page.first ?? ""}|${page.after ?? ""}`;
    return this.loader<number, Page<Call>>(key, async (ids) => {
      const pages = await this.services.calls.pagesForLeads(ids, page);
      return ids.map((id) => pages.get(id)!);
    }).load(leadId);
  }

  /** Call statuses of a lead status offered to `audience`; one loader per distinct audience. */
  callStatusesOf(leadStatusId: number, audience: AudienceFilterParams): Promise<CallStatus[]> {
    const key = `callStatuses:${audience.visibleTo ?? ""}|${audience.afterCallTransfer === true}`;
    return this.loader<number, CallStatus[]>(key, async (ids) => {
      const grouped = await this.services.callStatuses.listByLeadStatusIds(ids, audience);
      return ids.map((id) => grouped.get(id) ?? []);
    }).load(leadStatusId);
  }
}

export interface GraphQLContext extends RequestContext {
  /** Who is calling; every operation is authenticated before it runs. */
  principal: Principal;
  services: Services;
  /** Per-request batching of relation fields. */
  loaders: Loaders;
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
    loaders: new Loaders(services),
  };
}
