import { createHash } from "node:crypto";
import { Audience, isVisibleTo, type AudienceFilter } from "../access/audience";
import type { StatusSnapshot } from "./status-catalog";

/**
 * The revision of an account's status settings as one caller sees them (`Query.statusesRevision`,
 * and the `revision` of the status subscriptions): opaque, compared for equality only.
 *
 * - Read in full (ADMIN, SYSTEM): the account's revision counter, which every committed change of
 *   either list moves on (`"42"`).
 * - Read as an audience (AGENT, AI_AGENT): a digest of what that audience is shown — the call
 *   statuses offered to it (to agents, those offered after a transfer too), with their versions
 *   and lead-status links, and the lead statuses with theirs (`"v1.…"`). It changes exactly when
 *   the caller's lists change, so a change of a status hidden from the caller neither shows in it
 *   nor can be inferred from it.
 */
export function revisionFor(snapshot: StatusSnapshot, audience: AudienceFilter): string {
  if (!audience.visibleTo) return String(snapshot.revision);
  const widest: AudienceFilter =
    audience.visibleTo === Audience.AGENT ? { ...audience, afterCallTransfer: true } : audience;
  const hash = createHash("sha256");
  hash.update(audience.visibleTo);
  for (const status of snapshot.callStatuses) {
    if (isVisibleTo(status, widest)) {
      hash.update(`|c${status.id}:${status.version}:${status.leadStatusId ?? "-"}`);
    }
  }
  for (const status of snapshot.leadStatuses) hash.update(`|l${status.id}:${status.version}`);
  return `v1.${hash.digest("base64url").slice(0, 22)}`;
}
