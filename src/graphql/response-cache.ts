import {
  BREAK,
  getNamedType,
  isObjectType,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { Extensions } from "type-graphql";
import { LRUCache } from "lru-cache";

/** The field and type extension that says whether an answer may be stored (see `Reusable`). */
const EXTENSION = "reusableResponse";

/**
 * Declares that a field's answer (on a class: the answer of every field of that object type)
 * depends on nothing but the data behind the `ReusableSource` and the caller's role, so a whole
 * response made only of such fields may be stored and served again until that data changes, and
 * a subscription made only of such fields is executed once per event for all its subscribers of
 * one account and role (`graphql/subscriptions.ts`).
 * `@Reusable(false)` on a field that reads anything else (the audit trail, leads, calls)
 * overrides its type's mark. A query with any field that is not marked, on itself or on its
 * type, is never stored: a field added later is safe until someone says otherwise.
 */
export function Reusable(reusable = true): MethodDecorator & PropertyDecorator & ClassDecorator {
  return Extensions({ [EXTENSION]: reusable });
}

/**
 * What stored answers are computed from, in partitions that change independently (accounts):
 * per partition, a version that moves whenever that data may change.
 */
export interface ReusableSource {
  /** Off: nothing is stored. */
  readonly enabled: boolean;
  /** A token that changes whenever the partition's data may have changed. */
  version(partition: string): string;
  /** Truthy while the partition's data is known to be current right now (else nothing is served). */
  fresh(partition: string): unknown;
  /** Checks that the partition's data is current (one look at its version), e.g. after idling. */
  confirm(partition: string): Promise<unknown>;
}

/**
 * True when `operation` is a query whose every field is marked `@Reusable()` (on the field, or
 * on the object type it belongs to, the field's own mark winning). `__typename` is always fine.
 * Results are kept per parsed document (Apollo reuses the document of a repeated query).
 */
export function isReusableOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): boolean {
  if (operation.operation !== "query") return false;
  return isReusableDocument(schema, document);
}

/**
 * True when every field `document` selects (in any of its operations and fragments) is marked
 * `@Reusable()`: executed for one root value, it answers the same to every caller of one
 * account and role.
 */
export function isReusableDocument(schema: GraphQLSchema, document: DocumentNode): boolean {
  let known = verdicts.get(document);
  if (known === undefined) {
    known = everyFieldReusable(schema, document);
    verdicts.set(document, known);
  }
  return known;
}

const verdicts = new WeakMap<DocumentNode, boolean>();

function everyFieldReusable(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let reusable = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.name.value === "__typename") return undefined;
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        const own = field?.extensions?.[EXTENSION];
        const inherited =
          parent && isObjectType(getNamedType(parent)) ? parent.extensions?.[EXTENSION] : undefined;
        if ((own ?? inherited) !== true) {
          reusable = false;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return reusable;
}

/** A stored answer: the exact body and headers GraphQL gave the first time. */
export interface StoredAnswer {
  /** Kept encoded: nothing is re-encoded per request. */
  body: Buffer;
  contentType: string;
  cacheControl?: string;
}

/** A response being computed that may be stored once it is known to be reusable. */
export interface ResponseCandidate {
  key: string;
  partition: string;
  /** The partition's version when the request began. */
  version: string;
  /** Set once the operation is known to be reusable and to have succeeded. */
  reusable: boolean;
  operationName?: string;
}

interface StoredResponse {
  answer: StoredAnswer;
  operationName?: string;
  /** The partition's version it was computed from. */
  version: string;
}

/** Total size of the stored bodies (bytes); the least recently used go first. */
const MAX_STORED_BYTES = 64 * 1024 * 1024;

/**
 * Whole GraphQL responses of reusable queries, keyed by the partition (the caller's account),
 * the caller's role and the exact request (document, operation name, variables). An answer is
 * reused only while the data it was computed from is current: it is dropped once its partition's
 * version has moved (a change here, or one seen from another instance), and not served while the
 * partition is not confirmed current. A change in one partition leaves the others' answers be.
 * On a hit nothing is parsed, validated or executed; the request is still authenticated. All
 * partitions share one bound on memory, the least recently used answers going first.
 */
export class ResponseCache {
  private readonly stored = new LRUCache<string, StoredResponse>({
    maxSize: MAX_STORED_BYTES,
    sizeCalculation: (value, key) => value.answer.body.length + key.length,
  });

  constructor(private readonly source: ReusableSource) {}

  /**
   * The key of a parsed POST body for a caller of `partition` with `role` (and the `Accept`
   * header, which picks the response's content type); undefined when the body is not a plain
   * query.
   */
  keyOf(
    partition: string,
    role: string,
    accept: string | undefined,
    body: unknown,
  ): string | undefined {
    if (!this.source.enabled) return undefined;
    if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
    const { query, operationName, variables, extensions } = body as Record<string, unknown>;
    if (typeof query !== "string" || extensions !== undefined) return undefined;
    try {
      const request = [role, accept ?? "", query, operationName ?? null, variables ?? null];
      return JSON.stringify([partition, ...request]);
    } catch {
      // Variables nested too deeply to encode: not worth storing (GraphQL refuses them anyway).
      return undefined;
    }
  }

  /**
   * A stored response of `partition` for `key` that is still current, if any. When the
   * partition has not been confirmed current lately (an account asked now and then), it is
   * confirmed first — one look at its version — rather than the query being run again.
   */
  async lookup(partition: string, key: string): Promise<StoredResponse | undefined> {
    const stored = this.stored.get(key);
    if (!stored) return undefined;
    if (!this.source.fresh(partition)) await this.source.confirm(partition);
    if (stored.version !== this.source.version(partition)) {
      this.stored.delete(key);
      return undefined;
    }
    return this.source.fresh(partition) ? stored : undefined;
  }

  /** Starts a candidate for a request that missed. */
  candidate(partition: string, key: string): ResponseCandidate {
    return { key, partition, version: this.source.version(partition), reusable: false };
  }

  /** Stores a finished response when it is reusable and the data did not move meanwhile. */
  store(candidate: ResponseCandidate, status: number, answer: StoredAnswer): void {
    if (!candidate.reusable || status !== 200) return;
    if (candidate.version !== this.source.version(candidate.partition)) return;
    this.stored.set(candidate.key, {
      answer,
      operationName: candidate.operationName,
      version: candidate.version,
    });
  }
}
