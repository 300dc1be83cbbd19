/**
 * The search scenario's data and requests (scenarios/search.ts): the small account's ten leads,
 * the requests timed as its AGENT key — each answer compared with the one exact answer its ten
 * leads give, whatever the large account holds — and the large account's own searches.
 */
import { COUNT_LIMIT } from "../../src/common/pagination";

/** The small account, made with the `account` CLI. */
export const SMALL_ACCOUNT = "small";
/** The large account: made empty with the `account` CLI, then filled by `seed:volume`. */
export const LARGE_ACCOUNT = "volume_1";
/** What the probe searched. */
export const SEARCH = "car";
/**
 * Every first name of the large account begins with this (`seed:volume --name-prefix`): SEARCH
 * matches all of them, and so does this longer prefix, which no name of the small account has.
 */
export const LARGE_NAME_PREFIX = "carbo";

/** Created through `createLead` in this order; the qualified ones get a `qualified` call. */
export const SMALL_LEADS: ReadonlyArray<{ name: string; qualified?: true }> = [
  { name: "Anna Petrova" },
  { name: "Carla Mendes", qualified: true },
  { name: "Boris Ivanov" },
  { name: "Carmen Ortiz", qualified: true },
  { name: "Dana White" },
  { name: "Elena Sokolova" },
  { name: "Carlos Ruiz" },
  { name: "Felix Brandt" },
  { name: "Greta Holm" },
  { name: "Hugo Lind" },
];

export interface SmallLead {
  id: string;
  name: string;
  qualified: boolean;
}

export interface TimedRequest {
  name: string;
  query: string;
  variables: (i: number) => Record<string, unknown>;
  /** The answer described, for the report. */
  expected: string;
  /** Throws unless `data` is that answer (the `i`-th request of the round). */
  check: (data: unknown, i: number) => void;
}

function exactly(name: string, data: unknown, expected: unknown): void {
  const got = JSON.stringify(data);
  const want = JSON.stringify(expected);
  if (got !== want) throw new Error(`${name}: answered ${got.slice(0, 300)}, expected ${want}`);
}

/** Newest first: the small account's leads whose name has a word beginning with `prefix`. */
function matching(leads: readonly SmallLead[], prefix: string): SmallLead[] {
  return leads
    .filter((lead) =>
      lead.name
        .toLowerCase()
        .split(" ")
        .some((w) => w.startsWith(prefix)),
    )
    .sort((a, b) => Number(b.id) - Number(a.id));
}

/** What the small account's AGENT asks, timed with the large account empty and full. */
export function smallAccountRequests(leads: readonly SmallLead[]): TimedRequest[] {
  const found = matching(leads, SEARCH);
  const qualified = found.filter((lead) => lead.qualified).length;
  if (found.length === 0 || qualified === 0 || matching(leads, LARGE_NAME_PREFIX).length > 0) {
    throw new Error("the small account's leads do not give the answers the scenario checks");
  }
  return [
    {
      name: `the probe: "${SEARCH}", QUALIFIED, totalCount`,
      query: `{ leads(first: 1, filter: { search: "${SEARCH}", category: QUALIFIED }) { totalCount } }`,
      variables: () => ({}),
      expected: `totalCount ${qualified}`,
      check: (data) => exactly("probe", data, { leads: { totalCount: qualified } }),
    },
    {
      name: `first page of "${SEARCH}"`,
      query: `{ leads(first: 20, filter: { search: "${SEARCH}" }) { edges { node { id name } } } }`,
      variables: () => ({}),
      expected: `its ${found.length} leads (${found.map((l) => l.name.split(" ")[0]).join(", ")})`,
      check: (data) =>
        exactly("page", data, {
          leads: { edges: found.map(({ id, name }) => ({ node: { id, name } })) },
        }),
    },
    {
      name: `"${LARGE_NAME_PREFIX}": none here, every lead of the large account`,
      query: `{ leads(first: 20, filter: { search: "${LARGE_NAME_PREFIX}" }) { totalCount edges { node { id name } } } }`,
      variables: () => ({}),
      expected: "totalCount 0, no leads",
      check: (data) => exactly("none", data, { leads: { totalCount: 0, edges: [] } }),
    },
    {
      name: "lead(id:)",
      query: `query($id: ID!) { lead(id: $id) { id name } }`,
      variables: (i) => ({ id: leads[i % leads.length].id }),
      expected: "that lead",
      check: (data, i) => {
        const { id, name } = leads[i % leads.length];
        exactly("lead", data, { lead: { id, name } });
      },
    },
  ];
}

/** The large account's own searches (its own data: allowed to cost what it holds). */
export function largeAccountRequests(leads: number): TimedRequest[] {
  const counted = Math.min(leads, COUNT_LIMIT + 1);
  return [
    {
      name: `first page of "${SEARCH}" (every lead matches)`,
      query: `{ leads(first: 20, filter: { search: "${SEARCH}" }) { edges { node { id name } } } }`,
      variables: () => ({}),
      expected: "20 leads, newest first, each a Carbo…",
      check: (data) => {
        const edges = (data as { leads: { edges: Array<{ node: { id: string; name: string } }> } })
          .leads.edges;
        const ids = edges.map((e) => Number(e.node.id));
        if (
          edges.length !== Math.min(20, leads) ||
          !edges.every((e) => e.node.name.startsWith("Carbo")) ||
          ids.some((id, i) => i > 0 && id >= ids[i - 1])
        ) {
          throw new Error(`large page: ${JSON.stringify(data).slice(0, 300)}`);
        }
      },
    },
    {
      name: `totalCount of "${SEARCH}" (counted up to ${COUNT_LIMIT + 1})`,
      query: `{ leads(first: 1, filter: { search: "${SEARCH}" }) { totalCount } }`,
      variables: () => ({}),
      expected: `totalCount ${counted}`,
      check: (data) => exactly("large count", data, { leads: { totalCount: counted } }),
    },
    {
      name: `the probe's query: "${SEARCH}", QUALIFIED (none), totalCount`,
      query: `{ leads(first: 1, filter: { search: "${SEARCH}", category: QUALIFIED }) { totalCount } }`,
      variables: () => ({}),
      expected: "totalCount 0",
      check: (data) => exactly("large probe", data, { leads: { totalCount: 0 } }),
    },
  ];
}
