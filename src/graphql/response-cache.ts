import { Kind, type DocumentNode, type OperationDefinitionNode, visit, BREAK } from "graphql";
import { LRUCache } from "lru-cache";
import type { Role } from "../auth/principal";
import type { StoredAnswer } from "./http-handler";
import type { StatusCatalog } from "../statuses/status-catalog";

/**
 * Root fields whose answer depends on nothing but the status lists and the caller's role
 * (every audience rule is a function of the role, see `scopeAudience`).
 */
const LIST_ROOT_FIELDS = new Set([
  "callStatuses",
  "callStatus",
  "leadStatuses",
  "leadStatus",
  "callOutcomeTool",
  "configurationWarnings",
  "__typename",
]);
/** Fields below those that read something else (the audit trail). */
const OTHER_DATA_FIELDS = new Set(["history"]);

/**
 * True when `operation` is a query that reads only the status lists, so its response may be
 * reused for the same caller role until the lists change. Conservative: fragments at the root,
 * any field outside the lists, a mutation or a subscription make it false.
 */
export function readsOnlyStatusLists(
  document: DocumentNode,
  operation: OperationDefinitionNode,
): boolean {
  if (operation.operation !== "query") return false;
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !LIST_ROOT_FIELDS.has(selection.name.value)) return false;
  }
  let other = false;
  visit(document, {
    Field(node) {
      if (OTHER_DATA_FIELDS.has(node.name.value)) {
        other = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return !other;
}

/** A response being computed that may be stored once it is known to be reusable. */
export interface ResponseCandidate {
  key: string;
  /** The lists' version when the request began (`StatusCatalog.version`). */
  version: string;
  /** Set once the operation is known to read only the status lists and to have succeeded. */
  reusable: boolean;
  operationName?: string;
}

interface StoredResponse {
  answer: StoredAnswer;
  operationName?: string;
}

/** Total size of the stored bodies (characters); the least recently used go first. */
const MAX_STORED_CHARS = 64 * 1024 * 1024;

/**
 * Whole GraphQL responses of queries that read only the status lists, keyed by the caller's role
 * and the exact request (document, operation name, variables). An answer is reused only while
 * the lists it was computed from are current: it is dropped as soon as the catalog's version
 * moves (a change here, or one seen from another instance), and not served when the lists have
 * not been confirmed within the catalog's refresh interval. On a hit nothing is parsed,
 * validated or executed; the request is still authenticated.
 */
export class ResponseCache {
  private readonly stored = new LRUCache<string, StoredResponse>({
    maxSize: MAX_STORED_CHARS,
    sizeCalculation: (value, key) => value.answer.body.length + key.length,
  });
  private storedVersion?: string;

  constructor(private readonly catalog: StatusCatalog) {}

  /**
   * The key of a parsed POST body for `role` (and the `Accept` header, which picks the response's
   * content type); undefined when the body is not a plain query.
   */
  keyOf(role: Role, accept: string | undefined, body: unknown): string | undefined {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    if (typeof query !== "string" || extensions !== undefined) return undefined;
    return JSON.stringify([role, accept ?? "", query, operationName ?? null, variables ?? null]);
  }

  /** A stored response for `key` that is still current, if any. */
  lookup(key: string): StoredResponse | undefined {
    if (!this.catalog.enabled) return undefined;
    this.dropIfOutdated();
    if (this.stored.size === 0) return undefined;
    // Only while the lists are confirmed current (this also keeps them checked in time).
    if (!this.catalog.fresh()) return undefined;
    return this.stored.get(key);
  }

  /** Starts a candidate for a request that missed; `undefined` when caching is off. */
  candidate(key: string): ResponseCandidate | undefined {
    if (!this.catalog.enabled) return undefined;
    return { key, version: this.catalog.version, reusable: false };
  }

  /** Stores a finished response when it is reusable and the lists did not move meanwhile. */
  store(candidate: ResponseCandidate, status: number, answer: StoredAnswer): void {
    if (!candidate.reusable || status !== 200) return;
    if (candidate.version !== this.catalog.version) return;
    this.dropIfOutdated();
    this.stored.set(candidate.key, {
      answer: { ...answer, body: Buffer.from(answer.body) },
      operationName: candidate.operationName,
    });
  }

  private dropIfOutdated(): void {
    const version = this.catalog.version;
    if (this.storedVersion !== version) {
      this.stored.clear();
      this.storedVersion = version;
    }
  }
}
