/**
 * The live status lists (`callStatusesChanged`, `leadStatusesChanged`): the subscriber's whole
 * list at once, then again after each committed change that alters it — never for a change it
 * cannot see (a status hidden from its audience), never a backlog (a slow subscriber gets the
 * latest list). Changes come from the account change log's announcements, from any instance.
 */
import { assertAllowed, Permission } from "../access/permissions";
import { isVisibleTo, scopeAudience, type AudienceFilter } from "../access/audience";
import type { Principal } from "../access/principal";
import { inAccount } from "../db/account-scope";
import { AccountFanout, inTurns } from "../changes/account-fanout";
import { isStatusChange, type ChangeLog } from "../changes/change-log";
import { Feed } from "../common/feed";
import type { CallStatus } from "./call-status.entity";
import type { LeadStatus } from "./lead-status.entity";
import { revisionFor } from "./revision";
import type { StatusCatalogs, StatusSnapshot } from "./status-catalog";
import type { CallStatusesChange, LeadStatusesChange } from "./status-changes.types";

/** What is pending for a status subscriber: the newest revision announced (0: none, look again). */
type Pending = number;

const coalesce = (pending: Pending | undefined, revision: Pending): Pending =>
  Math.max(pending ?? 0, revision);

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

/** What one subscriber is sent of a snapshot, and what tells whether it changed. */
interface View<T> {
  fingerprint: string;
  value: T;
}

/** The key of an audience filter, for sharing what is made of a snapshot for it. */
function audienceKey(audience: AudienceFilter): string {
  return `${audience.visibleTo ?? "*"}${audience.afterCallTransfer === true ? "+transfer" : ""}`;
}

export class StatusWatch {
  /**
   * One change log listener per account, whatever the number of its status subscribers: most
   * committed changes (calls, leads) are not status changes, and they are told apart once here
   * instead of once per subscriber — with 10,000 subscribers, calling each of them cost
   * milliseconds per recorded call. Each subscriber is told the newest revision of the change.
   */
  private readonly fanout: AccountFanout<"statuses", (revision: number) => void>;

  /**
   * What each snapshot looks like to each kind of subscriber (by audience), made once for all
   * of them: after a change, thousands of wrap-up forms of one account get one and the same
   * list object — filtered, fingerprinted and given its revision once — which lets the
   * subscription transport execute their documents once too (see `graphql/subscriptions.ts`).
   * Kept as long as the snapshot is.
   */
  private readonly views = new WeakMap<StatusSnapshot, Map<string, View<unknown>>>();

  constructor(
    private readonly catalog: StatusCatalogs,
    changes: ChangeLog,
  ) {
    this.fanout = new AccountFanout(changes, (event, watchersOf) => {
      const revisions = event.changes.filter(isStatusChange).map((c) => c.revision ?? 0);
      if (revisions.length === 0) return;
      const revision = Math.max(...revisions);
      inTurns(watchersOf("statuses"), (watcher) => watcher(revision));
    });
    // Announcements may have been missed while the bus was down: each account's lists are
    // read again (once, whatever the number of its subscribers), and every subscriber whose
    // list changed meanwhile gets it.
    changes.onResume(() => {
      for (const accountId of this.fanout.accountIds()) {
        inAccount(accountId, () => this.catalog.invalidate());
        inTurns(this.fanout.watchersOf(accountId, "statuses"), (watcher) => watcher(0));
      }
    });
  }

  /** The call statuses `filter` and the caller's role let it see, live. */
  callStatusesChanged(
    actor: Principal,
    filter: AudienceFilter,
  ): AsyncIterableIterator<CallStatusesChange> {
    const audience = scopeAudience(actor, filter);
    const own = scopeAudience(actor, {});
    return this.watch(actor, `call|${audienceKey(audience)}|${audienceKey(own)}`, (snapshot) => {
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
    return this.watch(actor, `lead|${audienceKey(own)}`, (snapshot) => {
      const leadStatuses = [...snapshot.leadStatuses];
      return {
        fingerprint: fingerprint(leadStatuses),
        value: { revision: revisionFor(snapshot, own), leadStatuses },
      };
    });
  }

  /** What `snapshot` looks like to subscribers of `key`, made by `make` once for all of them. */
  private viewOf<T>(snapshot: StatusSnapshot, key: string, make: (s: StatusSnapshot) => View<T>) {
    let made = this.views.get(snapshot);
    if (!made) {
      made = new Map();
      this.views.set(snapshot, made);
    }
    let view = made.get(key) as View<T> | undefined;
    if (!view) {
      view = make(snapshot);
      made.set(key, view);
    }
    return view;
  }

  /**
   * A subscriber's feed. `key` names what `view` depends on besides the snapshot (the audience
   * it filters for, the caller's own audience for the revision): subscribers with one key share
   * each view.
   */
  private watch<T>(
    actor: Principal,
    key: string,
    view: (snapshot: StatusSnapshot) => View<T>,
  ): AsyncIterableIterator<T> {
    const accountId = actor.accountId;
    if (accountId === null) throw new Error("status lists are read in an account");
    let sent: string | undefined;
    const feed: Feed<Pending, T> = new Feed({
      coalesce,
      render: async (revision) => {
        const snapshot = await this.catalog.atLeast(revision);
        const { fingerprint: now, value } = this.viewOf(snapshot, key, view);
        if (now === sent) return [];
        sent = now;
        return [value];
      },
      onEnd: () => stopChanges(),
    });
    const stopChanges = this.fanout.add(accountId, "statuses", (revision) => feed.push(revision));
    feed.push(0);
    return feed;
  }
}
