/** The page shape of every connection in the API. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: Array<{ cursor: string; node: T }>;
}

/**
 * Follows `endCursor` from the first page until `hasNextPage` is false, checking the page
 * bookkeeping on the way (constant totalCount, full pages but the last, cursors, the previous
 * page flag); returns the nodes in the order seen.
 */
export async function walkConnection<T>(
  fetchPage: (after: string | null) => Promise<Connection<T>>,
  first: number,
): Promise<{ nodes: T[]; totalCount: number; pages: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  let totalCount: number | undefined;
  let pages = 0;
  for (;;) {
    const page = await fetchPage(after);
    pages += 1;
    if (totalCount === undefined) totalCount = page.totalCount;
    expect(page.totalCount).toBe(totalCount);
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    if (page.pageInfo.hasNextPage) expect(page.edges).toHaveLength(first);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
    expect(after).not.toBeNull();
    expect(pages).toBeLessThan(100);
  }
  return { nodes, totalCount: totalCount!, pages };
}
