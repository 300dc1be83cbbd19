import { ArgsType, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { IsOptional } from "class-validator";
import {
  COUNT_LIMIT,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Page,
  type PageParams,
} from "../common/pagination";

@ObjectType({ description: "Where a page sits in its list." })
export class PageInfo {
  @Field({ description: "More items follow: ask again with `after: endCursor`." })
  hasNextPage!: boolean;

  @Field({ description: "This page was asked for with `after`, so items precede it." })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "Cursor of the first item; null when empty.",
  })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "Cursor of the last item; null when empty." })
  endCursor!: string | null;
}

@ArgsType()
export class PageArgs implements PageParams {
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_PAGE_SIZE,
    description: `How many items, 1–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`,
  })
  @IsOptional() // the range is checked where pages are resolved (common/pagination.ts)
  first?: number | null;

  @Field(() => String, {
    nullable: true,
    description: "Continue after this cursor (`pageInfo.endCursor` of the previous page).",
  })
  @IsOptional()
  after?: string | null;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface ConnectionShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  /** A getter: read (and so counted) only when the field is selected. */
  readonly totalCount: Promise<number>;
}

/** A Relay-style connection type for `nodeType`, named `<name>Connection` / `<name>Edge`. */
export function connectionType<T extends object>(
  nodeType: ClassType<T>,
  name: string,
  what: string,
  order = "newest first",
) {
  @ObjectType(`${name}Edge`, { description: `One ${what} in a page, with its cursor.` })
  class EdgeType implements Edge<T> {
    @Field(() => nodeType, { description: `The ${what}.` })
    node!: T;

    @Field({ description: "Opaque cursor: pass it as `after` to continue after this item." })
    cursor!: string;
  }

  @ObjectType(`${name}Connection`, {
    description: `A page of ${what}s, ${order}.`,
  })
  class ConnectionType implements ConnectionShape<T> {
    @Field(() => [EdgeType], { description: `The ${what}s of this page.` })
    edges!: EdgeType[];

    @Field(() => PageInfo, { description: "Where this page sits in the list." })
    pageInfo!: PageInfo;

    @Field(() => Int, {
      description: `How many ${what}s the whole list holds, counted up to ${COUNT_LIMIT.toLocaleString("en")}: a longer list answers ${(COUNT_LIMIT + 1).toLocaleString("en")} (show it as "more than ${COUNT_LIMIT.toLocaleString("en")}"). Counting is done only when this field is asked for; leave it out when the page is all you need.`,
    })
    totalCount!: Promise<number>;
  }

  return ConnectionType;
}

/** Builds the GraphQL connection of a page. */
export function toConnection<T>(page: Page<T>): ConnectionShape<T> {
  const edges = page.nodes.map((node, i) => ({ node, cursor: page.cursors[i] }));
  return {
    edges,
    get totalCount() {
      return page.totalCount();
    },
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
