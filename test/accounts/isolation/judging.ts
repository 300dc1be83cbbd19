/**
 * Judging an answer to B: traces of A's data in it, errors that tell A's values from missing ones,
 * and answers that show the generated operation itself was malformed.
 */
import { type GraphQLResponse } from "../../support/harness";
import { MARKER, type Inventory } from "./parties";
import { FRESH_CODE, FRESH_TEXT, pascal, SchemaFacts } from "./operations";

export let freshCounter = 0;

/** The variables as sent: every fresh placeholder replaced by a new unique value. */
export function materialize(value: unknown): unknown {
  if (value === FRESH_CODE) return `b_new_${process.pid}_${(freshCounter += 1)}`;
  if (value === FRESH_TEXT) return `bravo probe ${(freshCounter += 1)}`;
  if (Array.isArray(value)) return value.map(materialize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(v)]));
  }
  return value;
}

export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/** What an answer is, for comparing a probe with its twin: error codes, or data or null. */
export function outcome(response: GraphQLResponse, field: string): string {
  const codes = (response.errors ?? []).map((e) => e.extensions?.code ?? "?").sort();
  if (codes.length > 0) return codes.join(",");
  return response.data?.[field] === null ? "null" : "data";
}

/** What of A's a value shows: A's rows by type and id, A's marker, key prefixes or actors. */
export function traces(value: unknown, a: Inventory, facts: SchemaFacts): string[] {
  const found: string[] = [];
  const aActors = new Set(a.actors);
  const visit = (item: unknown): void => {
    if (typeof item === "string") {
      if (MARKER.test(item)) found.push(`A's marker in ${JSON.stringify(item)}`);
      for (const prefix of a.prefixes) {
        if (item.includes(prefix)) found.push(`A's key prefix ${prefix}`);
      }
      if (aActors.has(item)) found.push(`A's actor ${item}`);
      return;
    }
    if (Array.isArray(item)) return item.forEach(visit);
    if (!item || typeof item !== "object") return;
    const row = item as Record<string, unknown>;
    const type = row.__typename;
    if (typeof type === "string" && row.id !== undefined && a.ids.get(type)?.has(String(row.id))) {
      found.push(`A's ${type} ${String(row.id)}`);
    }
    if (type === "AuditEntry" && typeof row.entityType === "string" && row.entityId !== undefined) {
      const entityType = pascal(row.entityType);
      if (!facts.withIds.has(entityType)) {
        found.push(`audit entity type ${row.entityType} names no type of the schema`);
      } else if (a.ids.get(entityType)?.has(String(row.entityId))) {
        found.push(`an audit entry of A's ${entityType} ${String(row.entityId)}`);
      }
    }
    for (const [key, child] of Object.entries(row)) {
      if (MARKER.test(key)) found.push(`A's marker in the key ${JSON.stringify(key)}`);
      visit(child);
    }
  };
  visit(value);
  return found;
}

/** Error messages may repeat what was sent (A's code in "no call status with code …"). */
export function errorsWithoutEcho(response: GraphQLResponse, sent: unknown): string {
  let text = JSON.stringify(response.errors ?? []);
  // Numbers and short strings are left in: they would cut key prefixes and markers apart.
  const echoes = stringsIn(sent)
    .filter((s) => s.length >= 3 && !/^[0-9]+$/.test(s))
    .sort((x, y) => y.length - x.length);
  for (const echo of echoes) text = text.split(echo).join("<sent>");
  return text;
}

/** Codes that mean the generator, not the service, got something wrong (or the service broke). */
export const NEVER = ["INTERNAL_SERVER_ERROR", "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"];

export function malformed(response: GraphQLResponse): string | undefined {
  for (const error of response.errors ?? []) {
    const code = error.extensions?.code ?? "";
    if (NEVER.includes(code) || /^Variable "\$/.test(error.message)) {
      return `${code}: ${error.message}`;
    }
  }
  if (response.status >= 500 || response.status === 401) return `HTTP ${response.status}`;
  return undefined;
}
