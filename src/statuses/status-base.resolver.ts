import { Arg, ID, Mutation, Query, Resolver, type ClassType } from "type-graphql";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { Reusable } from "../graphql/response-cache";

/** What the operations of one status kind call: its service. */
export interface StatusOperations<TStatus, TFilter, TCreate, TUpdate> {
  list(filter: Partial<TFilter>, actor: Principal): Promise<TStatus[]>;
  findOne(
    args: { id?: string | null; code?: string | null },
    actor: Principal,
  ): Promise<TStatus | null>;
  create(input: TCreate, actor: Principal): Promise<TStatus>;
  update(id: string, input: TUpdate, actor: Principal): Promise<TStatus>;
  reorder(
    codes: readonly string[],
    expectedRevision: string | null | undefined,
    actor: Principal,
  ): Promise<TStatus[]>;
}

export interface StatusKindOptions<
  TStatus extends object,
  TFilter extends object,
  TCreate extends object,
  TUpdate extends object,
> {
  status: ClassType<TStatus>;
  filter: ClassType<TFilter>;
  createInput: ClassType<TCreate>;
  updateInput: ClassType<TUpdate>;
  /** The operations' names in the schema, spelled out so that a search for one finds it here. */
  names: { list: string; one: string; create: string; update: string; reorder: string };
  /** The kind as the descriptions name it: "call status" mid-sentence, "Call statuses" first. */
  label: { one: string; many: string };
  /** What an update may not change differs by kind, so it is said by the kind. */
  updateDescription: string;
}

/**
 * The list, the lookup by id or code, the create and the update of one status kind: the same
 * operations with the same arguments for both kinds. Each kind's resolver extends the class,
 * receives its service in its constructor (as `service`) and adds its own fields. The class itself is never listed among the schema's resolvers: its
 * subclass brings its operations already, and listing both would declare them twice.
 */
export function StatusResolver<
  TStatus extends object,
  TFilter extends object,
  TCreate extends object,
  TUpdate extends object,
>(kind: StatusKindOptions<TStatus, TFilter, TCreate, TUpdate>) {
  @Resolver()
  abstract class StatusResolverBase {
    /** The kind's service, given to the subclass's constructor. */
    protected abstract readonly service: StatusOperations<TStatus, TFilter, TCreate, TUpdate>;

    @Reusable()
    @Query(() => [kind.status], {
      name: kind.names.list,
      description: `${kind.label.many}, ordered by \`sort\`, then id. Optionally filtered.`,
    })
    list(
      @Caller() actor: Principal,
      @Arg("filter", () => kind.filter, {
        nullable: true,
        description: "Conditions the returned statuses must all meet; all statuses when left out.",
      })
      filter?: TFilter | null,
    ): Promise<TStatus[]> {
      return this.service.list(filter ?? {}, actor);
    }

    @Reusable()
    @Query(() => kind.status, {
      name: kind.names.one,
      nullable: true,
      description: `One ${kind.label.one} by id or by code (give exactly one). Null when there is none.`,
    })
    one(
      @Caller() actor: Principal,
      @Arg("id", () => ID, { nullable: true, description: "The status id." }) id?: string | null,
      @Arg("code", () => String, { nullable: true, description: "The status code." })
      code?: string | null,
    ): Promise<TStatus | null> {
      return this.service.findOne({ id, code }, actor);
    }

    @Mutation(() => kind.status, {
      name: kind.names.create,
      description: `Creates a custom ${kind.label.one}.`,
    })
    create(
      @Caller() actor: Principal,
      @Arg("input", () => kind.createInput, { description: "The new status." }) input: TCreate,
    ): Promise<TStatus> {
      return this.service.create(input, actor);
    }

    @Mutation(() => kind.status, { name: kind.names.update, description: kind.updateDescription })
    update(
      @Caller() actor: Principal,
      @Arg("id", () => ID, { description: "The status to change." }) id: string,
      @Arg("input", () => kind.updateInput, { description: "The changes." }) input: TUpdate,
    ): Promise<TStatus> {
      return this.service.update(id, input, actor);
    }

    @Mutation(() => [kind.status], {
      name: kind.names.reorder,
      description: `Puts every ${kind.label.one} in a new order, at once (ADMIN only): \`sort\` becomes 10, 20, 30, … along \`codes\`, in one transaction with one audit entry (the order before and after); only statuses whose \`sort\` changes are written (their \`version\` goes up), and live subscribers get one update. Answers the whole list in its new order. Nothing is written when \`codes\` repeats a code, names one that does not exist, or leaves one out (BAD_USER_INPUT on \`codes\`, naming it), or when \`expectedRevision\` is stale (CONFLICT).`,
    })
    reorder(
      @Caller() actor: Principal,
      @Arg("codes", () => [String], {
        description: `The code of every ${kind.label.one} of the account — hidden ones too — each once, in the new order (the first gets sort 10).`,
      })
      codes: string[],
      @Arg("expectedRevision", () => String, {
        nullable: true,
        description:
          "The `statusesRevision` the order was made from: when another change of either list (a status created, changed or moved) committed since, the reorder is refused with CONFLICT and nothing is written. Left out: applied to the lists as they are.",
      })
      expectedRevision?: string | null,
    ): Promise<TStatus[]> {
      return this.service.reorder(codes, expectedRevision, actor);
    }
  }
  return StatusResolverBase;
}
