/**
 * The volume scenario's look-ups (scenarios/volume.ts): the GraphQL of each, and the check of
 * its answer against what the generator of `seed:volume` wrote.
 */
import { volumeLeadExternalId, volumeLeadName, volumeLeadPhone } from "../../src/cli/volume-seed";

/** The account the look-ups run in: the second of the seeded ones (not the first rows). */
export const ACCOUNT_INDEX = 1;

export interface Lookup {
  name: string;
  query: string;
  variables: (n: number) => Record<string, unknown>;
  /** Throws when the answer is not what the seeded data says it must be. */
  check: (data: Record<string, unknown>, n: number) => void;
}

export const ACCOUNT_CODE = `volume_${ACCOUNT_INDEX + 1}`;

export function lookups(leadIdOf: (n: number) => string): Lookup[] {
  const page =
    "edges { node { id createdAt outcome { code } } } pageInfo { endCursor hasNextPage }";
  const nodes = (data: Record<string, unknown>, field: string) =>
    (data[field] as { edges: Array<{ node: Record<string, string> }> }).edges.map((e) => e.node);
  return [
    {
      name: "first page of calls",
      query: `{ calls(first: 20) { ${page} } }`,
      variables: () => ({}),
      check: (data) => {
        if (nodes(data, "calls").length !== 20) throw new Error("calls: not a full page");
      },
    },
    {
      name: "first page of leads",
      query: `{ leads(first: 20) { edges { node { id name status { code } } } pageInfo { endCursor } } }`,
      variables: () => ({}),
      check: (data) => {
        if (nodes(data, "leads").length !== 20) throw new Error("leads: not a full page");
      },
    },
    {
      name: "leads of a category (IN_PROGRESS)",
      query: `{ leads(first: 20, filter: { category: IN_PROGRESS }) { edges { node { id } } } }`,
      variables: () => ({}),
      check: (data) => {
        if (nodes(data, "leads").length !== 20) throw new Error("category: not a full page");
      },
    },
    {
      name: "Lead.calls (a lead's calls)",
      query: `query($id: ID!) { lead(id: $id) { id name calls(first: 20) { ${page} } } }`,
      variables: (n) => ({ id: leadIdOf(n) }),
      check: (data, n) => {
        const lead = data.lead as { id: string; calls: { edges: unknown[] } } | null;
        if (lead?.id !== leadIdOf(n) || lead.calls.edges.length === 0) {
          throw new Error("Lead.calls: the lead or its calls are missing");
        }
      },
    },
    {
      name: "lead by phone",
      query: `query($phone: String) { leads(first: 5, filter: { phone: $phone }) { edges { node { id externalId } } } }`,
      variables: (n) => ({ phone: volumeLeadPhone(ACCOUNT_INDEX, n) }),
      check: (data, n) => {
        const found = nodes(data, "leads");
        if (found.length !== 1 || found[0].externalId !== volumeLeadExternalId(ACCOUNT_CODE, n)) {
          throw new Error("phone: not exactly the lead");
        }
      },
    },
    {
      name: "lead by externalId",
      query: `query($externalId: String) { leads(first: 5, filter: { externalId: $externalId }) { edges { node { id externalId } } } }`,
      variables: (n) => ({ externalId: volumeLeadExternalId(ACCOUNT_CODE, n) }),
      check: (data, n) => {
        const found = nodes(data, "leads");
        if (found.length !== 1 || found[0].id !== leadIdOf(n)) {
          throw new Error("externalId: not exactly the lead");
        }
      },
    },
    {
      name: "name search (surname)",
      query: `query($search: String) { leads(first: 20, filter: { search: $search }) { edges { node { id name } } } }`,
      variables: (n) => ({ search: volumeLeadName(n).last }),
      check: (data, n) => {
        const { last } = volumeLeadName(n);
        const found = nodes(data, "leads");
        if (!found.some((lead) => lead.id === leadIdOf(n))) throw new Error("search: lead missing");
        if (!found.every((lead) => lead.name.endsWith(` ${last}`))) {
          throw new Error("search: a lead of another name");
        }
      },
    },
    {
      name: "name search (first name + surname)",
      query: `query($search: String) { leads(first: 20, filter: { search: $search }) { edges { node { id name } } } }`,
      variables: (n) => {
        const { first, last } = volumeLeadName(n);
        return { search: `${first} ${last}` };
      },
      check: (data, n) => {
        if (!nodes(data, "leads").some((lead) => lead.id === leadIdOf(n))) {
          throw new Error("search: lead missing");
        }
      },
    },
  ];
}
