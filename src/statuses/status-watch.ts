/**
 * The live status lists (`callStatusesChanged`, `leadStatusesChanged`): the subscriber's whole
 * list at once, then again after each committed change that alters it — never for a change it
 * cannot see (a status hidden from its audience), never a backlog (a slow subscriber gets the
 * latest list). Changes come from the account change log's announcements, from any instance.
 */
import { assertAllowed, Permission } from "../access/permissions";
import { isVisibleTo, scopeAudience, type AudienceFilter } from "../access/audience";
import type { Principal } from "../access/principal";
import { isStatusChange, type ChangeLog } from "../changes/change-log";
import { Feed } from "../common/feed";
import type { CallStatus } from "./call-status.entity";
import type { LeadStatus } from "./lead-status.entity";
import { revisionFor } from "./revision";
import type { StatusCatalogs, StatusSnapshot } from "./status-catalog";
import type { CallStatusesChange, LeadStatusesChange } from "./status-changes.types";

/** What is pending for a status subscriber: the newest revision announced, or a reload. */
interface Pending {
  revision: number;
  reload: boolean;
}

const coalesce = (pending: Pending | undefined, event: Pending): Pending => ({
  revision: Math.max(pending?.revision ?? 0, event.revision),
  reload: (pending?.reload ?? false) || event.reload,
});

/** What a list looks like to its subscriber: it is sent again only when this changes. */
function fingerprint(statuses: ReadonlyArray<CallStatus | LeadStatus>): string {
  return statuses
    .map((s) => {
      const link =
        "leadStatus" in s && s.leadStatus ? `>${s.leadStatus.id}:${s.leadStatus.version}` : "";
      return `${s.id}:${s.version}${link}`;
    })
    .join("|");
}

/** The status subscribers of one account: told the revision of each status change. */
interface AccountWatchers {
  watchers: Set<(revision: number) => void>;
  stop: () => void;
}

export class StatusWatch {
  /**
   * One change log listener per account, whatever the number of its status subscribers: most
   * committed changes (calls, leads) are not status changes, and they are told apart once here
   * instead of once per subscriber — with 10,000 subscribers, calling each of them cost
   * milliseconds per recorded call.
   */
  private readonly accounts = new Map<number, AccountWatchers>();

  constructor(
    private readonly catalog: StatusCatalogs,
    private readonly changes: ChangeLog,
  ) {}

  /** The call statuses `filter` and the caller's role let it see, live. */
  callStatusesChanged(
    actor: Principal,
    filter: AudienceFilter,
  ): AsyncIterableIterator<CallStatusesChange> {
    const audience = scopeAudience(actor, filter);
    const own = scopeAudience(actor, {});
    return this.watch(actor, (snapshot) => {
      const callStatuses = snapshot.callStatuses.filter((s) => isVisibleTo(s, audience));
      return {
        fingerprint: fingerprint(callStatuses),
        value: { revision: revisionFor(snapshot, own), callStatuses },
      };
    });
  }

  /** The lead statuses, live. */
  leadStatusesChanged(actor: Principal): AsyncIterableIterator<LeadStatusesChange> {
    assertAllowed(actor, Permission.ReadLeadStatuses);
    const own = scopeAudience(actor, {});
    return this.watch(actor, (snapshot) => {
      const leadStatuses = [...snapshot.leadStatuses];
      return {
        fingerprint: fingerprint(leadStatuses),
        value: { revision: revisionFor(snapshot, own), leadStatuses },
      };
    });
  }

  private watch<T>(
    actor: Principal,
    view: (snapshot: StatusSnapshot) => { fingerprint: string; value: T },
  ): AsyncIterableIterator<T> {
    const accountId = actor.accountId;
    if (accountId === null) throw new Error("status lists are read in an account");
    let sent: string | undefined;
    const feed: Feed<Pending, T> = new Feed({
      coalesce,
      render: async ({ revision, reload }) => {
        const { fingerprint: now, value } = view(await this.catalog.atLeast(revision, reload));
        if (now === sent) return [];
        sent = now;
        return [value];
      },
      onEnd: () => {
        stopChanges();
        stopResume();
      },
    });
    const stopChanges = this.onStatusChange(accountId, (revision) =>
      feed.push({ revision, reload: false }),
    );
    // Announcements may have been missed while the bus was down: read the lists again.
    const stopResume = this.changes.onResume(() => feed.push({ revision: 0, reload: true }));
    feed.push({ revision: 0, reload: false });
    return feed;
  }

  /** Calls `watcher` with the newest revision of each committed status change of the account. */
  private onStatusChange(accountId: number, watcher: (revision: number) => void): () => void {
    let account = this.accounts.get(accountId);
    if (!account) {
      const watchers = new Set<(revision: number) => void>();
      const stop = this.changes.subscribe(accountId, (event) => {
        const revisions = event.changes.filter(isStatusChange).map((c) => c.revision ?? 0);
        if (revisions.length === 0) return;
        const revision = Math.max(...revisions);
        for (const each of [...watchers]) each(revision);
      });
      account = { watchers, stop };
      this.accounts.set(accountId, account);
    }
    const watchers = account;
    // Its own function: the same watcher given twice is two subscribers.
    const own = (revision: number) => watcher(revision);
    watchers.watchers.add(own);
    return () => {
      if (!watchers.watchers.delete(own) || watchers.watchers.size > 0) return;
      watchers.stop();
      if (this.accounts.get(accountId) === watchers) this.accounts.delete(accountId);
    };
  }
}
