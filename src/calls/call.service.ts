import { createHash } from "node:crypto";
import { In, type DataSource } from "typeorm";
import { assertMayChoose } from "../access/audience";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { writeAudit } from "../audit/audit.service";
import { AuditAction, AuditEntityType } from "../audit/audit-entry.entity";
import {
  AppError,
  badUserInput,
  conflict,
  invalidInput,
  notFound,
  type FieldError,
} from "../common/errors";
import { blankMessage, filterText, isBlank } from "../common/filters";
import { parseId } from "../common/ids";
import type { Page, PageParams } from "../common/pagination";
import { currentTimestamp, isWithinStorableRange } from "../common/time";
import { currentAccountId, scoped } from "../db/account-scope";
import { uniqueViolationColumn } from "../db/errors";
import { runTransaction } from "../db/writes";
import type { Transaction } from "../db/transaction";
import { ChangeType } from "../changes/change.entity";
import type { ChangeLog } from "../changes/change-log";
import type { Lead } from "../leads/lead.entity";
import type { LeadRepository } from "../leads/lead.repository";
import type { CallStatus } from "../statuses/call-status.entity";
import { LeadStatus } from "../statuses/lead-status.entity";
import type { CallStatusService } from "../statuses/call-status.service";
import type { Call } from "./call.entity";
import type { CallRepository, NewCall } from "./call.repository";
import { isWellFormed, NOT_WELL_FORMED, unreadableTextProblem } from "../common/text";
import { characterLength } from "../common/validation";
import { COMMENT_MAX_LENGTH, IDEMPOTENCY_KEY_MAX_LENGTH } from "./call.limits";
import { eventChanges, eventId } from "../changes/event-data";
import { leadEventData } from "../leads/lead-events";
import { callRecordedEventData } from "./call-events";

export interface RecordCallResultParams {
  leadId: string | number;
  callStatusCode: string;
  comment?: string | null;
  afterCallTransfer?: boolean | null;
  nextCallAt?: Date | null;
  idempotencyKey?: string | null;
}

export interface CallFilterParams {
  leadId?: string | number | null;
  callStatusCode?: string | null;
  /** Recorded at or after. */
  from?: Date | null;
  /** Recorded before. */
  to?: Date | null;
}

export interface CallResultData {
  call: Call;
  lead: Lead;
  leadStatusChanged: boolean;
}

/** How many calls one retention batch (one transaction) deletes unless told otherwise. */
export const DEFAULT_PURGE_BATCH = 5000;
/** The most calls one retention batch (one transaction) deletes. */
export const MAX_PURGE_BATCH = 100_000;

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

interface NormalizedRequest {
  leadId: number;
  comment: string | null;
  afterCallTransfer: boolean;
  nextCallAt: Date | null;
  idempotencyHash: string | null;
  requestHash: string;
}

/** Why the comment (trimmed, as it is stored) may not be stored; undefined when it may. */
function commentProblem(comment: string): string | undefined {
  // Also for text the GraphQL layer never saw as such (an AI tool call's arguments as JSON text).
  if (!isWellFormed(comment)) return `comment ${NOT_WELL_FORMED}`;
  const unreadable = unreadableTextProblem(comment, true);
  if (unreadable) return `comment ${unreadable}`;
  if (characterLength(comment) > COMMENT_MAX_LENGTH) {
    return `comment must be at most ${COMMENT_MAX_LENGTH} characters long`;
  }
  return undefined;
}

/** Why the idempotency key may not be used; undefined when it may. */
function idempotencyKeyProblem(key: string): string | undefined {
  if (!isWellFormed(key)) return `idempotencyKey ${NOT_WELL_FORMED}`;
  // Blank is not "no key": a client that meant to send one would lose its retry safety unseen.
  if (isBlank(key)) {
    return blankMessage("idempotencyKey", "leave it out or send null to record without one");
  }
  const length = characterLength(key);
  if (length < 1 || length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    return `idempotencyKey must be 1–${IDEMPOTENCY_KEY_MAX_LENGTH} characters long`;
  }
  // As every readable text here: judged without the white space around it (which it keeps).
  const unreadable = unreadableTextProblem(key.trim(), false);
  return unreadable ? `idempotencyKey ${unreadable}` : undefined;
}

/**
 * The request as it is stored and compared for idempotency, after the checks every path takes
 * (GraphQL's `recordCallResult`, the AI tool's `recordAiCallResult`): BAD_USER_INPUT naming
 * every field that fails.
 */
function normalizeRequest(input: RecordCallResultParams, actor: Principal): NormalizedRequest {
  const problems: FieldError[] = [];
  let leadId = 0;
  try {
    leadId = parseId(input.leadId, "leadId");
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problems.push(...error.fields);
  }
  if (input.nextCallAt && Number.isNaN(input.nextCallAt.getTime())) {
    problems.push({ field: "nextCallAt", message: "nextCallAt is not a valid date-time" });
  }
  const comment = input.comment?.trim() ? input.comment.trim() : null;
  const commentIssue = comment === null ? undefined : commentProblem(comment);
  if (commentIssue) problems.push({ field: "comment", message: commentIssue });
  const key = input.idempotencyKey ?? null;
  const keyIssue = key === null ? undefined : idempotencyKeyProblem(key);
  if (keyIssue) problems.push({ field: "idempotencyKey", message: keyIssue });
  if (problems.length > 0) throw invalidInput(problems);
  const afterCallTransfer = input.afterCallTransfer === true;
  // Stored in whole seconds, like every timestamp here (MySQL would round, MariaDB truncate).
  const nextCallAt = input.nextCallAt
    ? new Date(Math.floor(input.nextCallAt.getTime() / 1000) * 1000)
    : null;
  return {
    leadId,
    comment,
    afterCallTransfer,
    nextCallAt,
    idempotencyHash: key === null ? null : sha256(`${actor.actorId}\u0000${key}`),
    requestHash: sha256(
      JSON.stringify([
        leadId,
        input.callStatusCode,
        comment,
        afterCallTransfer,
        nextCallAt?.toISOString() ?? null,
      ]),
    ),
  };
}

/** Every rule about recording call results and reading the calls of leads. */
export class CallService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: CallRepository,
    private readonly leads: LeadRepository,
    private readonly callStatuses: CallStatusService,
    private readonly changes: ChangeLog,
  ) {}

  /**
   * Records the result of a call in one transaction: stores the call and, when its call status
   * links a lead status, moves the lead there. The lead row is locked for the transaction, so
   * results recorded in parallel for one lead apply one after the other: no call is lost and the
   * lead ends in the status of the last committed call with a link.
   *
   * With an `idempotencyKey`, a repeat of the same request by the same caller returns the
   * original result and writes nothing; the same key with other input is CONFLICT.
   */
  async record(input: RecordCallResultParams, actor: Principal): Promise<CallResultData> {
    assertAllowed(actor, Permission.RecordCalls);
    const request = normalizeRequest(input, actor);
    const { leadId, comment, afterCallTransfer, nextCallAt, idempotencyHash, requestHash } =
      request;

    const replay = await this.findReplay(request);
    if (replay) return replay;

    const status = await this.callStatuses.byCodeFromDatabase(
      input.callStatusCode,
      "callStatusCode",
    );
    assertMayChoose(actor, status, afterCallTransfer);
    if (status.commentRequired && comment === null) {
      throw badUserInput("comment", `comment is required for the call status "${status.code}"`);
    }
    if (nextCallAt !== null && nextCallAt.getTime() <= Date.now()) {
      throw badUserInput("nextCallAt", "nextCallAt must be in the future");
    }
    if (nextCallAt !== null && !isWithinStorableRange(nextCallAt)) {
      throw badUserInput("nextCallAt", "nextCallAt must be at most 9999-12-31T23:59:59Z");
    }
    if (status.planningTimeRequired && nextCallAt === null) {
      throw badUserInput(
        "nextCallAt",
        `nextCallAt is required for the call status "${status.code}"`,
      );
    }

    let recorded: CallResultData;
    const leadStatuses = await this.callStatuses.leadStatusesById();
    try {
      recorded = await runTransaction(this.dataSource, (tx) =>
        this.store(tx, {
          leadId,
          status,
          comment,
          afterCallTransfer,
          nextCallAt,
          actor,
          idempotencyHash,
          requestHash,
          leadStatuses,
        }),
      );
    } catch (error) {
      // Two requests with the same key at the same time: the second one lost the race.
      if (idempotencyHash && uniqueViolationColumn(error) !== undefined) {
        const replay = await this.replay(idempotencyHash, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    return recorded;
  }

  private async store(
    tx: Transaction,
    values: {
      leadId: number;
      status: CallStatus;
      comment: string | null;
      afterCallTransfer: boolean;
      nextCallAt: Date | null;
      actor: Principal;
      idempotencyHash: string | null;
      requestHash: string;
      leadStatuses: ReadonlyMap<number, LeadStatus>;
    },
  ): Promise<CallResultData> {
    const lead = await this.leads.lockForUpdate(tx, values.leadId);
    if (!lead) throw notFound(`No lead with id ${values.leadId}`);
    const target = values.status.leadStatusId;
    const leadStatusChanged = target !== null && target !== lead.statusId;
    const now = currentTimestamp();
    if (leadStatusChanged) {
      await this.leads.setStatus(tx, lead.id, target, now);
    }
    const row: NewCall = {
      leadId: lead.id,
      callStatusId: values.status.id,
      comment: values.comment,
      afterCallTransfer: values.afterCallTransfer,
      nextCallAt: values.nextCallAt,
      leadStatusChanged,
      recordedByRole: values.actor.role,
      recordedBy: values.actor.actorId,
      idempotencyHash: values.idempotencyHash,
      requestHash: values.idempotencyHash ? values.requestHash : null,
      createdAt: now,
    };
    const id = await this.calls.insert(tx, row);
    // The result is exactly what was written (every value is set here, in whole seconds), so it
    // is not read back.
    const call = this.calls.written(row, id, lead.accountId);
    const before = { ...lead };
    if (leadStatusChanged) {
      Object.assign(lead, { statusId: target, updatedAt: now, version: lead.version + 1 });
    }
    const { statusBefore, statusAfter } = await this.leadStatusesOf(
      tx,
      values.leadStatuses,
      before.statusId,
      lead.statusId,
    );
    await this.changes.append(tx, {
      type: ChangeType.CALL_RECORDED,
      entityId: id,
      leadId: lead.id,
      data: callRecordedEventData(call, values.status, lead, statusBefore, statusAfter),
    });
    if (leadStatusChanged) {
      await this.changes.append(tx, {
        type: ChangeType.LEAD_UPDATED,
        entityId: lead.id,
        leadId: lead.id,
        data: {
          lead: leadEventData(lead, statusAfter),
          changes: eventChanges([
            { field: "statusId", before: before.statusId, after: lead.statusId },
          ]),
          callId: eventId(id),
        },
      });
    }
    return { call, lead, leadStatusChanged };
  }

  /**
   * The lead's status before and after a call: from the lists read before the transaction, or
   * (a lead status created since) from the database, inside it.
   */
  private async leadStatusesOf(
    tx: Transaction,
    known: ReadonlyMap<number, LeadStatus>,
    beforeId: number,
    afterId: number,
  ) {
    const missing = [beforeId, afterId].filter((id) => !known.has(id));
    const read = missing.length
      ? await scoped(tx, LeadStatus).find({ where: { id: In(missing) } })
      : [];
    const byId = (id: number) => known.get(id) ?? read.find((status) => status.id === id);
    const statusBefore = byId(beforeId);
    const statusAfter = byId(afterId);
    if (!statusBefore || !statusAfter) {
      throw new Error(`lead status ${beforeId} or ${afterId} does not exist`);
    }
    return { statusBefore, statusAfter };
  }

  /**
   * For a request with an idempotency key that was already recorded: the original result
   * (CONFLICT when the key came with other input). Null for a new request. Callers that check
   * arguments against settings that may have changed since (the AI tool) ask this first, so a
   * retry still returns the original result.
   */
  async replayOf(input: RecordCallResultParams, actor: Principal): Promise<CallResultData | null> {
    assertAllowed(actor, Permission.RecordCalls);
    return this.findReplay(normalizeRequest(input, actor));
  }

  private async findReplay(request: NormalizedRequest): Promise<CallResultData | null> {
    return request.idempotencyHash
      ? this.replay(request.idempotencyHash, request.requestHash)
      : null;
  }

  /** The original result of an idempotent request, CONFLICT for other input, null if new. */
  private async replay(
    idempotencyHash: string,
    requestHash: string,
  ): Promise<CallResultData | null> {
    const original = await this.calls.byIdempotencyHash(idempotencyHash);
    if (!original) return null;
    if (original.requestHash !== requestHash) {
      throw conflict(
        "This idempotencyKey was already used for a different call result",
        "idempotencyKey",
      );
    }
    return this.result(original.id);
  }

  private async result(callId: number): Promise<CallResultData> {
    const call = await this.calls.byId(callId);
    const lead = await this.leads.byIdOrFail(call.leadId);
    return { call, lead, leadStatusChanged: call.leadStatusChanged };
  }

  /** A page of calls, newest first. */
  async list(filter: CallFilterParams, page: PageParams, actor: Principal): Promise<Page<Call>> {
    assertAllowed(actor, Permission.ReadLeadsAndCalls);
    const leadId =
      filter.leadId === undefined || filter.leadId === null
        ? null
        : parseId(filter.leadId, "leadId");
    // From the in-memory lists (any visibility: the filter names what was recorded); an unknown
    // code matches no call.
    const callStatusCode = filterText(filter.callStatusCode, "callStatusCode");
    const callStatusId =
      callStatusCode === null
        ? null
        : ((await this.callStatuses.byCode(callStatusCode))?.id ?? false);
    return this.calls.page({ leadId, callStatusId, from: filter.from, to: filter.to }, page);
  }

  /** The same page of calls for each of several leads — for batching `Lead.calls`. */
  pagesForLeads(leadIds: readonly number[], page: PageParams): Promise<Map<number, Page<Call>>> {
    return this.calls.pagesForLeads(leadIds, page);
  }

  /**
   * Retention: deletes the current account's calls recorded before `before`, `batchSize` at a
   * time — each batch its own short transaction (retried like every write), so that a Galera
   * cluster certifies small write sets and calls go on being recorded meanwhile — then writes
   * one audit entry (PURGE of CALLS) saying before when and how many. Leads keep their status.
   * A retried request whose idempotency key belonged to a deleted call would record it anew:
   * keep more than any client's retry window.
   */
  async purgeRecordedBefore(
    before: Date,
    actor: Principal,
    options: { batchSize?: number; onBatch?: (deletedSoFar: number) => void } = {},
  ): Promise<number> {
    assertAllowed(actor, Permission.PurgeCalls);
    if (!isWithinStorableRange(before)) {
      throw badUserInput("before", "before must be a date-time from year 1 to 9999");
    }
    const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_PURGE_BATCH) {
      throw badUserInput(
        "batchSize",
        `batchSize must be a whole number from 1 to ${MAX_PURGE_BATCH}`,
      );
    }
    let deleted = 0;
    for (;;) {
      const ids = await this.calls.oldestBefore(before, batchSize);
      if (ids.length === 0) break;
      deleted += await runTransaction(this.dataSource, (tx) => this.calls.delete(tx, ids));
      options.onBatch?.(deleted);
      if (ids.length < batchSize) break;
    }
    await runTransaction(this.dataSource, (tx) =>
      writeAudit(tx, {
        actor,
        action: AuditAction.PURGE,
        entityType: AuditEntityType.CALLS,
        entityId: currentAccountId(),
        changes: [
          {
            field: "recordedBefore",
            before: null,
            after: this.calls.storedCutoff(before).toISOString(),
          },
          { field: "deletedCalls", before: null, after: deleted },
        ],
      }),
    );
    return deleted;
  }
}
