import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { LRUCache } from "lru-cache";
import { assertAllowed, Permission } from "../access/permissions";
import type { Principal } from "../access/principal";
import type { CallStatusService } from "../statuses/call-status.service";
import type { CallResultData, CallService } from "../calls/call.service";
import { Audience } from "../access/audience";
import { AppError, type FieldError } from "../common/errors";
import { configurationWarnings, type ConfigurationWarning } from "./configuration-warnings";
import { buildOutcomeTool, ToolFormat, type OutcomeTool } from "./outcome-tool";

export interface OutcomeToolParams {
  format: ToolFormat;
  afterCallTransfer?: boolean | null;
  /** ADMIN only: the audience to build the tool for (default AI_AGENT). */
  audience?: Audience | null;
}

export interface RecordAiCallResultParams {
  leadId: string | number;
  /** The model's tool-call arguments: an object, or the JSON text some vendors return. */
  arguments: unknown;
  /** The revision of the tool the model was given, if known. */
  revision?: string | null;
  idempotencyKey?: string | null;
}

/** The tool's arguments: what the call service's errors about them refer to. */
const TOOL_ARGUMENTS = ["callStatusCode", "comment", "nextCallAt"];

interface ToolArguments {
  callStatusCode: string;
  comment?: string;
  nextCallAt?: string;
}

/** Every rule of the AI-agent interface: the outcome tool, recording its calls, the lints. */
export class AiService {
  private readonly ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
  /** Compiled argument validators by tool revision. */
  private readonly validators = new LRUCache<string, ValidateFunction>({ max: 100 });

  constructor(
    private readonly callStatuses: CallStatusService,
    private readonly calls: CallService,
  ) {}

  /**
   * The tool for the caller: AI agents get theirs (the AI-visible statuses); administrators may
   * preview it for either audience.
   */
  async tool(params: OutcomeToolParams, actor: Principal): Promise<OutcomeTool> {
    assertAllowed(actor, Permission.UseOutcomeTool);
    // An AI_AGENT asking for another audience is refused by the call statuses' own scoping.
    const statuses = await this.callStatuses.list(
      {
        visibleTo: params.audience ?? Audience.AI_AGENT,
        afterCallTransfer: params.afterCallTransfer,
      },
      actor,
    );
    return buildOutcomeTool(params.format, statuses);
  }

  /**
   * Records what the model chose, after checking its arguments against the current tool (a stale
   * `revision` is fine while the arguments still fit). Bad arguments are BAD_USER_INPUT listing
   * the allowed codes and the current revision, so the orchestrator can re-prompt.
   */
  async record(params: RecordAiCallResultParams, actor: Principal): Promise<CallResultData> {
    const tool = await this.tool({ format: ToolFormat.JSON_SCHEMA }, actor);
    const details: ErrorDetails = {
      allowedCodes: tool.allowedCodes,
      revision: tool.revision,
      staleRevision: Boolean(params.revision) && params.revision !== tool.revision,
    };
    const args = this.parseArguments(params.arguments, details);
    const validate = this.validatorFor(tool);
    // A retry of a recorded request returns the original result, even if the settings (and so
    // the tool) changed since.
    if (params.idempotencyKey && hasComparableShape(args)) {
      const replay = await this.calls
        .replayOf(this.toCallParams(params, args), actor)
        .catch((error: unknown) => {
          // Not comparable (e.g. an unreadable date): the validation below explains why.
          if (error instanceof AppError && error.code === "BAD_USER_INPUT") return null;
          throw error;
        });
      if (replay) return replay;
    }
    if (!validate(args)) {
      throw invalidArguments(fieldErrors(validate.errors ?? [], args), details);
    }
    try {
      return await this.calls.record(this.toCallParams(params, args), actor);
    } catch (error) {
      // The rules the tool describes are enforced by the call service; say so in tool terms.
      if (
        error instanceof AppError &&
        error.code === "BAD_USER_INPUT" &&
        error.fields.some((f) => TOOL_ARGUMENTS.includes(f.field))
      ) {
        throw invalidArguments(
          error.fields.map((f) =>
            TOOL_ARGUMENTS.includes(f.field)
              ? { field: `arguments.${f.field}`, message: f.message }
              : f,
          ),
          details,
        );
      }
      throw error;
    }
  }

  private toCallParams(params: RecordAiCallResultParams, args: ToolArguments) {
    return {
      leadId: params.leadId,
      callStatusCode: args.callStatusCode,
      comment: args.comment ?? null,
      nextCallAt: args.nextCallAt ? new Date(args.nextCallAt) : null,
      idempotencyKey: params.idempotencyKey,
    };
  }

  /** Lints of the current settings (ADMIN). */
  async warnings(actor: Principal): Promise<ConfigurationWarning[]> {
    assertAllowed(actor, Permission.ManageStatuses);
    return configurationWarnings(await this.callStatuses.list({}, actor));
  }

  /**
   * The arguments as an object, the comment trimmed: it is checked (and stored) as the call
   * service stores it, so a comment is accepted or refused here exactly as in `recordCallResult`.
   */
  private parseArguments(raw: unknown, details: ErrorDetails): ToolArguments {
    const args = typeof raw === "string" ? this.parseJson(raw, details) : raw;
    if (typeof args !== "object" || args === null || Array.isArray(args))
      return args as ToolArguments;
    const { comment } = args as { comment?: unknown };
    return (
      typeof comment === "string" ? { ...args, comment: comment.trim() } : args
    ) as ToolArguments;
  }

  private parseJson(raw: string, details: ErrorDetails): unknown {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw invalidArguments(
        [{ field: "arguments", message: "arguments is a string but not valid JSON" }],
        details,
      );
    }
  }

  private validatorFor(tool: OutcomeTool): ValidateFunction {
    let validate = this.validators.get(tool.revision);
    if (!validate) {
      validate = this.ajv.compile(tool.parameters);
      this.validators.set(tool.revision, validate);
    }
    return validate;
  }
}

/** Arguments whose fields have the types the tool declares (their values are checked later). */
function hasComparableShape(args: unknown): args is ToolArguments {
  if (typeof args !== "object" || args === null) return false;
  const { callStatusCode, comment, nextCallAt } = args as Record<string, unknown>;
  return (
    typeof callStatusCode === "string" &&
    (comment === undefined || typeof comment === "string") &&
    (nextCallAt === undefined || typeof nextCallAt === "string")
  );
}

type ErrorDetails = {
  allowedCodes: string[];
  revision: string;
  staleRevision: boolean;
};

function invalidArguments(fields: FieldError[], details: ErrorDetails): AppError {
  const allowed =
    details.allowedCodes.length > 0
      ? `Allowed callStatusCode values: ${details.allowedCodes.join(", ")}.`
      : "No call outcome is open to AI agents at the moment.";
  const problems = fields.map((f) => f.message).join("; ");
  return new AppError(
    "BAD_USER_INPUT",
    `The tool arguments are not valid: ${problems}. ${allowed}`,
    fields,
    details,
  );
}

/** One field error per problem ajv found, in the tool's terms. */
function fieldErrors(errors: ErrorObject[], args: unknown): FieldError[] {
  const result = new Map<string, string>();
  for (const error of errors) {
    let property = error.instancePath.split("/")[1];
    if (error.keyword === "required") property = String(error.params.missingProperty);
    if (error.keyword === "additionalProperties")
      property = String(error.params.additionalProperty);
    const field = property ? `arguments.${property}` : "arguments";
    if (result.has(field)) continue;
    let message: string;
    if (property === "callStatusCode" && error.keyword !== "required") {
      const given = (args as { callStatusCode?: unknown }).callStatusCode;
      // Echo a string back (shortened), never an arbitrary value: it may be huge or deeply nested.
      message =
        typeof given === "string"
          ? `callStatusCode ${JSON.stringify(given.length > 64 ? `${given.slice(0, 64)}…` : given)} is not one of the allowed values`
          : "callStatusCode must be a string: one of the allowed values";
    } else if (error.keyword === "required") {
      message = `${property} is required${property === "callStatusCode" ? "" : " for this outcome"}`;
    } else if (error.keyword === "additionalProperties") {
      message = `${property} is not an argument of this tool`;
    } else if (property === "comment" && error.keyword === "pattern") {
      message = "comment must not be blank for this outcome";
    } else {
      message = `${property ?? "arguments"} ${error.message ?? "is not valid"}`;
    }
    result.set(field, message);
  }
  return [...result].map(([field, message]) => ({ field, message }));
}
