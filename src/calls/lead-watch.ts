/**
 * `leadChanged`: a lead, and the call just recorded for it, after each committed change of the
 * lead — one lead, or (ADMIN and SYSTEM) every lead of the account. Changes come from the
 * account change log's announcements, from any instance. A subscriber that reads slowly gets
 * each changed lead once, as it is now, with the latest call recorded for it meanwhile; at most
 * `MAX_PENDING_LEADS` leads wait for it, beyond that its subscription ends (it subscribes again
 * and reads what it missed from the lists).
 */
import { assertAllowed, Permission } from "../access/permissions";
import { Role, type Principal } from "../access/principal";
import { AccountFanout, inTurns } from "../changes/account-fanout";
import { ChangeType } from "../changes/change.entity";
import type { ChangeLog, ChangeNotice } from "../changes/change-log";
import { badUserInput, notFound } from "../common/errors";
import { Feed } from "../common/feed";
import { parseId } from "../common/ids";
import type { Lead } from "../leads/lead.entity";
import type { LeadRepository } from "../leads/lead.repository";
import type { Call } from "./call.entity";
import type { CallRepository } from "./call.repository";

/** Leads that may wait for one slow subscriber (each with its latest call). */
export const MAX_PENDING_LEADS = 1000;

const LEAD_CHANGES = new Set<ChangeType>([
  ChangeType.LEAD_CREATED,
  ChangeType.LEAD_UPDATED,
  ChangeType.CALL_RECORDED,
]);

/** Changed leads waiting to be sent, in the order they changed: lead id → latest call id or null. */
type Pending = Map<number, number | null>;

export interface LeadChangeData {
  lead: Lead;
  call: Call | null;
}

/** What a subscriber is told: the leads an event changed that it follows. */
type LeadWatcher = (changed: Pending) => void;

export class LeadWatch {
  /**
   * One change log listener per account, its subscribers found by the lead they follow (null:
   * every lead): a call recorded for one lead is routed to that lead's few subscribers, not
   * offered to each of the account's thousands.
   */
  private readonly fanout: AccountFanout<number | null, LeadWatcher>;

  constructor(
    private readonly leads: LeadRepository,
    private readonly calls: CallRepository,
    changes: ChangeLog,
  ) {
    this.fanout = new AccountFanout(changes, (event, watchersOf) => {
      const changed = changedLeads(event.changes);
      if (changed.size === 0) return;
      inTurns(watchersOf(null), (watcher) => watcher(changed));
      for (const [lead, call] of changed) {
        const followers = watchersOf(lead);
        if (followers.length === 0) continue;
        const one: Pending = new Map([[lead, call]]);
        for (const watcher of followers) watcher(one);
      }
    });
  }

  async leadChanged(
    actor: Principal,
    rawLeadId: string | number | null | undefined,
  ): Promise<AsyncIterableIterator<LeadChangeData>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const accountId = actor.accountId;
    if (accountId === null) throw new Error("leads are read in an account");
    let leadId: number | null = null;
    if (rawLeadId === null || rawLeadId === undefined) {
      if (actor.role === Role.AGENT || actor.role === Role.AI_AGENT) {
        throw badUserInput(
          "leadId",
          `leadId: the ${actor.role} role follows one lead at a time; give its id`,
        );
      }
    } else {
      leadId = parseId(rawLeadId, "leadId");
      if (!(await this.leads.byId(leadId))) throw notFound(`No lead with id ${leadId}`);
    }
    const feed: Feed<Pending, LeadChangeData> = new Feed({
      coalesce: (pending, event) => {
        const merged = pending ?? new Map();
        for (const [lead, call] of event) {
          // Moved to the end: the order in which leads last changed.
          const latest = call ?? merged.get(lead) ?? null;
          merged.delete(lead);
          merged.set(lead, latest);
        }
        if (merged.size > MAX_PENDING_LEADS) queueMicrotask(() => feed.end());
        return merged;
      },
      render: (pending) => this.render(pending),
      onEnd: () => stop(),
    });
    const stop = this.fanout.add(accountId, leadId, (changed) => feed.push(changed));
    return feed;
  }

  /** Each pending lead as it is now, with its latest call (read back, in the caller's account). */
  private async render(pending: Pending): Promise<LeadChangeData[]> {
    const leads = new Map((await this.leads.byIds([...pending.keys()])).map((l) => [l.id, l]));
    const result: LeadChangeData[] = [];
    for (const [id, callId] of pending) {
      const lead = leads.get(id);
      if (!lead) continue;
      result.push({ lead, call: callId === null ? null : await this.calls.byId(callId) });
    }
    return result;
  }
}

/**
 * The leads an event changed, each with the call recorded, if any. Shared by every subscriber
 * told of it: read it, never change it (a subscriber's pending leads are a map of its own).
 */
function changedLeads(changes: readonly ChangeNotice[]): Pending {
  const changed: Pending = new Map();
  for (const change of changes) {
    if (!LEAD_CHANGES.has(change.type) || change.leadId === null) continue;
    const call = change.type === ChangeType.CALL_RECORDED ? change.entityId : null;
    changed.set(change.leadId, call ?? changed.get(change.leadId) ?? null);
  }
  return changed;
}
