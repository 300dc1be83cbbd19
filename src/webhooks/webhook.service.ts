/**
 * Webhook endpoints (ADMIN): every rule of creating, changing and listing them, rotating their
 * signing secrets, their delivery log and redeliveries. The deliveries themselves are the
 * dispatcher's (`webhook-dispatcher.ts`).
 */
import type { DataSource } from "typeorm";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import { writeAudit } from "../audit/audit.service";
import { AuditAction, AuditEntityType, type FieldChange } from "../audit/audit-entry.entity";
import { eventTypes } from "../changes/change-feed";
import { ChangeFeedHead } from "../changes/change-feed-head.entity";
import { ChangeLogEntry } from "../changes/change.entity";
import { badUserInput, notFound } from "../common/errors";
import { parseId } from "../common/ids";
import type { Page, PageParams } from "../common/pagination";
import { currentTimestamp, sqlDateTime } from "../common/time";
import { scoped } from "../db/account-scope";
import { byIdDescending, fetchPage } from "../db/pages";
import { readThroughGate, runTransaction } from "../db/writes";
import { checkDestination, DestinationRefused } from "../http/destination";
import { DeliveryStatus, WebhookDelivery } from "./webhook-delivery.entity";
import { WebhookEndpoint } from "./webhook-endpoint.entity";
import {
  DEFAULT_OVERLAP_SECONDS,
  MAX_ENDPOINTS_PER_ACCOUNT,
  MAX_OVERLAP_SECONDS,
  MAX_REDELIVERY,
} from "./webhook.limits";
import { newDelivery, type WebhookRepository } from "./webhook.repository";
import { newSigningSecret } from "./webhook-signing";
import type { SecretBox } from "./secret-box";

export interface NewEndpointParams {
  url: string;
  events: string[];
  description?: string | null;
}

export interface EndpointChangeParams {
  url?: string;
  events?: string[];
  active?: boolean;
  description?: string | null;
}

export interface RedeliveryParams {
  eventId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** An endpoint with its signing secret, as made at creation and rotation. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

const DELIVERY_CURSOR = "webhook-delivery";

export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: WebhookRepository,
    private readonly options: { allowPrivateAddresses: boolean },
    private readonly secrets: SecretBox,
    /** Called once there is something new to deliver (an endpoint, turned on, a redelivery). */
    private readonly queued: () => void = () => undefined,
  ) {}

  /** The account's endpoints, oldest first. */
  list(actor: Principal): Promise<WebhookEndpoint[]> {
    assertAllowed(actor, Permission.ManageWebhooks);
    return scoped(this.dataSource, WebhookEndpoint).find({ order: { id: "ASC" } });
  }

  async create(params: NewEndpointParams, actor: Principal): Promise<EndpointWithSecret> {
    assertAllowed(actor, Permission.ManageWebhooks);
    const url = await this.destination(params.url);
    const events = eventTypes(params.events, "events");
    const description = params.description?.trim() || null;
    const secret = newSigningSecret();
    const id = await runTransaction(this.dataSource, async (tx) => {
      const endpoints = scoped(tx, WebhookEndpoint);
      const count = (await endpoints.find({ select: { id: true } })).length;
      if (count >= MAX_ENDPOINTS_PER_ACCOUNT) {
        throw badUserInput(
          "url",
          `An account may have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints; change or turn off one of them instead.`,
        );
      }
      // Deliveries start with the changes after the feed's place now.
      const head = await scoped(tx, ChangeFeedHead).findOne({ where: {} });
      const now = currentTimestamp();
      const newId = await endpoints.insert({
        url,
        description,
        eventsJson: JSON.stringify(events),
        active: true,
        disabledReason: null,
        secret: this.secrets.seal(secret),
        previousSecret: null,
        previousSecretUntil: null,
        cursorSeq: Number(head?.seq ?? 0),
        failedInRow: 0,
        createdAt: now,
        updatedAt: now,
      });
      await writeAudit(tx, {
        actor,
        action: AuditAction.CREATE,
        entityType: AuditEntityType.WEBHOOK_ENDPOINT,
        entityId: newId,
        changes: [
          { field: "url", before: null, after: url },
          { field: "events", before: null, after: events },
          { field: "description", before: null, after: description },
          { field: "active", before: null, after: true },
        ],
      });
      return newId;
    });
    this.queued();
    return { endpoint: await this.get(id), secret };
  }

  async update(
    rawId: string,
    params: EndpointChangeParams,
    actor: Principal,
  ): Promise<WebhookEndpoint> {
    assertAllowed(actor, Permission.ManageWebhooks);
    const id = parseId(rawId);
    const url = params.url === undefined ? undefined : await this.destination(params.url);
    const events = params.events === undefined ? undefined : eventTypes(params.events, "events");
    await runTransaction(this.dataSource, async (tx) => {
      const endpoints = scoped(tx, WebhookEndpoint);
      const endpoint = await endpoints.findOne({ where: { id } });
      if (!endpoint) throw notFound(`No webhook endpoint with id ${rawId}.`);
      const changes: FieldChange[] = [];
      const values: Partial<WebhookEndpoint> = {};
      if (url !== undefined && url !== endpoint.url) {
        changes.push({ field: "url", before: endpoint.url, after: url });
        values.url = url;
      }
      if (events !== undefined && JSON.stringify(events) !== JSON.stringify(endpoint.events)) {
        changes.push({ field: "events", before: endpoint.events, after: events });
        values.eventsJson = JSON.stringify(events);
      }
      if (params.description !== undefined) {
        const description = params.description?.trim() || null;
        if (description !== endpoint.description) {
          changes.push({ field: "description", before: endpoint.description, after: description });
          values.description = description;
        }
      }
      if (params.active !== undefined && params.active !== endpoint.active) {
        changes.push({ field: "active", before: endpoint.active, after: params.active });
        values.active = params.active;
        if (params.active) {
          // Turned on again: a new count of failures.
          if (endpoint.disabledReason !== null) {
            changes.push({ field: "disabledReason", before: endpoint.disabledReason, after: null });
          }
          values.disabledReason = null;
          values.failedInRow = 0;
        }
      }
      if (changes.length === 0) return;
      await endpoints.update({ id }, { ...values, updatedAt: currentTimestamp() });
      await writeAudit(tx, {
        actor,
        action: AuditAction.UPDATE,
        entityType: AuditEntityType.WEBHOOK_ENDPOINT,
        entityId: id,
        changes,
      });
    });
    if (params.active) this.queued();
    return this.get(id);
  }

  /**
   * A new signing secret; the old one keeps signing beside it for `overlapSeconds` (default a
   * day), so receivers can move to the new one without refusing a delivery.
   */
  async rotateSecret(
    rawId: string,
    overlapSeconds: number | null | undefined,
    actor: Principal,
  ): Promise<EndpointWithSecret> {
    assertAllowed(actor, Permission.ManageWebhooks);
    const id = parseId(rawId);
    const overlap = overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
      throw badUserInput(
        "overlapSeconds",
        `overlapSeconds must be a whole number from 0 to ${MAX_OVERLAP_SECONDS} (a week)`,
      );
    }
    const secret = newSigningSecret();
    await runTransaction(this.dataSource, async (tx) => {
      const endpoints = scoped(tx, WebhookEndpoint);
      const endpoint = await endpoints.findOne({ where: { id } });
      if (!endpoint) throw notFound(`No webhook endpoint with id ${rawId}.`);
      const until = overlap === 0 ? null : Date.now() + overlap * 1000;
      await endpoints.update(
        { id },
        {
          secret: this.secrets.seal(secret),
          // As stored (sealed or not): it is only ever opened to sign.
          previousSecret: until === null ? null : endpoint.secret,
          previousSecretUntil: until,
          updatedAt: currentTimestamp(),
        },
      );
      await writeAudit(tx, {
        actor,
        action: AuditAction.UPDATE,
        entityType: AuditEntityType.WEBHOOK_ENDPOINT,
        entityId: id,
        // Never the secrets: that it changed, and until when the old one signs.
        changes: [
          { field: "secret", before: "(previous secret)", after: "(new secret)" },
          {
            field: "previousSecretExpiresAt",
            before: null,
            after: until === null ? null : new Date(until),
          },
        ],
      });
    });
    return { endpoint: await this.get(id), secret };
  }

  /** The endpoint's deliveries, newest first, optionally of one status. */
  async deliveries(
    rawEndpointId: string,
    status: DeliveryStatus | null | undefined,
    page: PageParams,
    actor: Principal,
  ): Promise<Page<WebhookDelivery>> {
    assertAllowed(actor, Permission.ManageWebhooks);
    const endpoint = await this.get(parseId(rawEndpointId, "endpointId"), "endpointId");
    const query = scoped(this.dataSource, WebhookDelivery)
      .queryBuilder("delivery")
      .andWhere("delivery.endpoint_id = :endpoint", { endpoint: endpoint.id });
    if (status) query.andWhere("delivery.status = :status", { status });
    return readThroughGate(this.dataSource, () =>
      fetchPage(query, byIdDescending("delivery", DELIVERY_CURSOR), page),
    );
  }

  /**
   * Queues the events asked for again for the endpoint (whatever their earlier deliveries did),
   * each as a new delivery sent in order with the lead's other events; answers how many.
   */
  async redeliver(
    rawEndpointId: string,
    params: RedeliveryParams,
    actor: Principal,
  ): Promise<number> {
    assertAllowed(actor, Permission.ManageWebhooks);
    const endpointId = parseId(rawEndpointId, "endpointId");
    const byId = params.eventId !== undefined && params.eventId !== null;
    const byRange = (params.from ?? params.to ?? null) !== null;
    if (byId === byRange) {
      throw badUserInput(
        ["eventId", "from", "to"],
        "Give either eventId (one event) or from and to (a time range), not both and not neither.",
      );
    }
    if (byRange && (!params.from || !params.to || params.from >= params.to)) {
      throw badUserInput(
        ["from", "to"],
        "A time range needs both from and to, with from before to.",
      );
    }
    const count = await runTransaction(this.dataSource, async (tx) => {
      const endpoint = await scoped(tx, WebhookEndpoint).findOne({ where: { id: endpointId } });
      if (!endpoint) throw notFound(`No webhook endpoint with id ${rawEndpointId}.`);
      const types = endpoint.events;
      const entries = scoped(tx, ChangeLogEntry)
        .queryBuilder("entry")
        .select(["entry.id", "entry.seq", "entry.type", "entry.entityId", "entry.leadId"])
        .andWhere("entry.seq IS NOT NULL");
      let found: ChangeLogEntry[];
      if (byId) {
        const eventId = parseId(params.eventId as string, "eventId");
        found = await entries.andWhere("entry.id = :eventId", { eventId }).getMany();
        if (found.length === 0) {
          throw notFound(
            `No event with id ${params.eventId} is kept (events are kept for CHANGE_LOG_RETENTION_DAYS, and show once numbered, within about a second).`,
          );
        }
        if (!types.includes(found[0].type)) {
          throw badUserInput(
            "eventId",
            `Event ${params.eventId} is a ${found[0].type} event, which this endpoint does not take (its events: ${types.join(", ")}).`,
          );
        }
      } else {
        found = await entries
          .andWhere("entry.type IN (:...types)", { types })
          .andWhere("entry.created_at >= :from", { from: sqlDateTime(params.from as Date) })
          .andWhere("entry.created_at < :to", { to: sqlDateTime(params.to as Date) })
          .orderBy("entry.seq", "ASC")
          .limit(MAX_REDELIVERY + 1)
          .getMany();
        if (found.length > MAX_REDELIVERY) {
          throw badUserInput(
            ["from", "to"],
            `More than ${MAX_REDELIVERY} events fall in this range: redeliver a shorter one at a time.`,
          );
        }
      }
      const now = Date.now();
      await this.repository.insertDeliveries(
        tx,
        found.map((entry) => newDelivery(endpointId, entry, now, true)),
      );
      return found.length;
    });
    if (count > 0) this.queued();
    return count;
  }

  private async get(id: number, field = "id"): Promise<WebhookEndpoint> {
    const endpoint = await readThroughGate(this.dataSource, () =>
      scoped(this.dataSource, WebhookEndpoint).findOne({ where: { id } }),
    );
    if (!endpoint) throw notFound(`No webhook endpoint with ${field} ${id}.`);
    return endpoint;
  }

  /** The URL trimmed, if it may be sent to; BAD_USER_INPUT on `url` saying why not. */
  private async destination(raw: string): Promise<string> {
    const url = raw.trim();
    try {
      await checkDestination(url, { allowPrivate: this.options.allowPrivateAddresses });
    } catch (error) {
      if (!(error instanceof DestinationRefused)) throw error;
      throw badUserInput("url", `url refused (${error.reason}): ${error.message}`);
    }
    return url;
  }
}
