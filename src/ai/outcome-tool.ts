/**
 * The function-calling tool an AI agent uses to report a call's outcome, built from the call
 * statuses open to it. Pure: the same statuses always give the same definition and revision.
 */
import { createHash } from "node:crypto";
import { COMMENT_MAX_LENGTH } from "../calls/call.limits";

export enum ToolFormat {
  OPENAI = "OPENAI",
  ANTHROPIC = "ANTHROPIC",
  JSON_SCHEMA = "JSON_SCHEMA",
}

/** What the tool needs to know about one allowed call status. */
export interface ToolStatus {
  code: string;
  title: string;
  description: string | null;
  commentRequired: boolean;
  planningTimeRequired: boolean;
}

export interface OutcomeTool {
  format: ToolFormat;
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the tool's arguments. */
  parameters: Record<string, unknown>;
  /** The whole definition in the vendor's shape. */
  definition: Record<string, unknown>;
  /**
   * Stable hash of the definition's content (the same for every format): changes when, and only
   * when, the definition changes.
   */
  revision: string;
  /** The codes the tool allows, in list order. */
  allowedCodes: string[];
}

export const TOOL_NAME = "record_call_outcome";
const JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

const TOOL_DESCRIPTION =
  "Record the outcome of the call you just finished with this lead. Choose exactly one callStatusCode " +
  "from the allowed values, reading each one's description. Give a comment when the chosen outcome " +
  "requires one, and nextCallAt (an ISO 8601 date-time with time zone, in the future) when it " +
  "requires the next call to be planned.";

/** The arguments schema: allowed codes, each described, and the rules as if/then branches. */
export function argumentsSchema(statuses: ToolStatus[]): Record<string, unknown> {
  const codes = statuses.map((s) => s.code);
  const callStatusCode =
    statuses.length === 0
      ? { description: "No call outcome is open to you at the moment.", not: {} }
      : {
          type: "string",
          description: "The outcome of the call: one of the allowed codes.",
          enum: codes,
          oneOf: statuses.map((s) => ({
            const: s.code,
            title: s.title,
            ...(s.description ? { description: s.description } : {}),
          })),
        };
  const needsComment = statuses.filter((s) => s.commentRequired).map((s) => s.code);
  const needsPlanning = statuses.filter((s) => s.planningTimeRequired).map((s) => s.code);
  const rules: Record<string, unknown>[] = [];
  if (needsComment.length > 0) {
    rules.push({
      if: { properties: { callStatusCode: { enum: needsComment } }, required: ["callStatusCode"] },
      then: { required: ["comment"], properties: { comment: { pattern: "\\S" } } },
    });
  }
  if (needsPlanning.length > 0) {
    rules.push({
      if: { properties: { callStatusCode: { enum: needsPlanning } }, required: ["callStatusCode"] },
      then: { required: ["nextCallAt"] },
    });
  }
  return {
    type: "object",
    properties: {
      callStatusCode,
      comment: {
        type: "string",
        maxLength: COMMENT_MAX_LENGTH,
        description:
          needsComment.length > 0
            ? `A short summary of the call. Required for: ${needsComment.join(", ")}.`
            : "A short summary of the call.",
      },
      nextCallAt: {
        type: "string",
        format: "date-time",
        description:
          needsPlanning.length > 0
            ? `When to call the lead next (ISO 8601 with time zone, in the future). Required for: ${needsPlanning.join(", ")}.`
            : "When to call the lead next (ISO 8601 with time zone, in the future).",
      },
    },
    required: ["callStatusCode"],
    additionalProperties: false,
    ...(rules.length > 0 ? { allOf: rules } : {}),
  };
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The revision of the tool whose arguments schema is `parameters`. */
export function toolRevision(parameters: Record<string, unknown>): string {
  return createHash("sha256")
    .update(canonicalJson({ name: TOOL_NAME, description: TOOL_DESCRIPTION, parameters }))
    .digest("hex")
    .slice(0, 32);
}

/** The tool in the chosen vendor's shape, with its revision. */
export function buildOutcomeTool(format: ToolFormat, statuses: ToolStatus[]): OutcomeTool {
  const parameters = argumentsSchema(statuses);
  let definition: Record<string, unknown>;
  switch (format) {
    case ToolFormat.OPENAI:
      definition = {
        type: "function",
        function: { name: TOOL_NAME, description: TOOL_DESCRIPTION, parameters },
      };
      break;
    case ToolFormat.ANTHROPIC:
      definition = { name: TOOL_NAME, description: TOOL_DESCRIPTION, input_schema: parameters };
      break;
    case ToolFormat.JSON_SCHEMA:
      definition = {
        $schema: JSON_SCHEMA_DIALECT,
        title: TOOL_NAME,
        description: TOOL_DESCRIPTION,
        ...parameters,
      };
      break;
  }
  // The vendor shapes are fixed wrappings of the same content, so one revision serves every format.
  const revision = toolRevision(parameters);
  return {
    format,
    name: TOOL_NAME,
    description: TOOL_DESCRIPTION,
    parameters: { $schema: JSON_SCHEMA_DIALECT, ...parameters },
    definition,
    revision,
    allowedCodes: statuses.map((s) => s.code),
  };
}
