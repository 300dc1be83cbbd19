import { GraphQLJSON } from "graphql-scalars";
import {
  Arg,
  Field,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Query,
  registerEnumType,
  Resolver,
} from "type-graphql";
import { IsOptional } from "class-validator";
import { CallResult } from "../calls/call.types";
import type { CallResultData } from "../calls/call.service";
import { Audience } from "../access/audience";
import { Caller } from "../access/caller";
import type { Principal } from "../access/principal";
import { AiService, type RecordAiCallResultParams } from "./ai.service";
import { WarningKind, type ConfigurationWarning as Warning } from "./configuration-warnings";
import { ToolFormat, type OutcomeTool } from "./outcome-tool";
import { Reusable } from "../graphql/response-cache";

registerEnumType(ToolFormat, {
  name: "ToolFormat",
  description: "The shape of a function-calling tool definition.",
  valuesConfig: {
    OPENAI: {
      description:
        'OpenAI tools: `{ type: "function", function: { name, description, parameters } }`.',
    },
    ANTHROPIC: { description: "Anthropic tools: `{ name, description, input_schema }`." },
    JSON_SCHEMA: {
      description:
        "A plain JSON Schema (draft 2020-12) of the arguments, with title and description.",
    },
  },
});

registerEnumType(WarningKind, {
  name: "ConfigurationWarningKind",
  description: "What a configuration warning is about.",
  valuesConfig: {
    AI_STATUS_WITHOUT_DESCRIPTION: {
      description: "An AI-visible call status has no description to choose it by.",
    },
    PLANNING_WITH_FINAL_LEAD_STATUS: {
      description:
        "A status asks for the next call time but moves the lead to a status outside IN_PROGRESS.",
    },
    DUPLICATE_VISIBLE_TITLE: {
      description: "Two statuses offered to the same audience have the same title.",
    },
    EMPTY_AUDIENCE: { description: "No call status at all is open to an audience." },
  },
});

@Reusable()
@ObjectType({
  description:
    "The function-calling tool an AI agent uses to report a call's outcome, built from the call statuses open to it right now.",
})
class CallOutcomeTool implements Omit<OutcomeTool, "allowedCodes" | "format"> {
  @Field({ description: "The tool's name: `record_call_outcome`." })
  name!: string;

  @Field({ description: "What the tool does, for the model." })
  description!: string;

  @Field(() => GraphQLJSON, {
    description:
      "JSON Schema (draft 2020-12) of the arguments: the allowed `callStatusCode` values, each with its title and description, and the rules (comment and next call time where required) as if/then branches.",
  })
  parameters!: Record<string, unknown>;

  @Field(() => GraphQLJSON, {
    description:
      "The whole tool definition in the requested vendor's shape, ready to pass to the model.",
  })
  definition!: Record<string, unknown>;

  @Field({
    description:
      "Stable hash of the definition (the same for every format): it changes when, and only when, the tool would change. Pass it back with `recordAiCallResult`.",
  })
  revision!: string;

  @Field(() => [String], { description: "The call status codes the tool allows, in list order." })
  allowedCodes!: string[];
}

@Reusable()
@ObjectType({ description: "A setting that would confuse agents or AI agents." })
class ConfigurationWarning implements Warning {
  @Field(() => WarningKind, { description: "What the warning is about." })
  kind!: WarningKind;

  @Field({ description: "What is wrong, for the settings page." })
  message!: string;

  @Field(() => [String], { description: "The call statuses concerned (none for EMPTY_AUDIENCE)." })
  callStatusCodes!: string[];

  @Field(() => Audience, { nullable: true, description: "The audience concerned, if any." })
  audience!: Audience | null;
}

@InputType({ description: "What an AI agent's model chose, as its tool call came." })
class RecordAiCallResultInput implements RecordAiCallResultParams {
  @Field(() => ID, { description: "The lead that was called." })
  leadId!: string;

  @Field(() => GraphQLJSON, {
    description:
      "The model's tool-call arguments as they came: an object, or the JSON text (as OpenAI returns them). Checked against the current tool.",
  })
  arguments!: unknown;

  @Field(() => String, {
    nullable: true,
    description:
      "The `revision` of the tool the model was given. A stale one is fine while the arguments still fit; the error of arguments that no longer fit says so.",
  })
  @IsOptional()
  revision?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "As in `recordCallResult`: makes retries safe (1–255 characters, not blank; leave it out for none).",
  })
  // Checked by CallService, as for `recordCallResult`.
  @IsOptional()
  idempotencyKey?: string | null;
}

@Resolver()
export class AiResolver {
  constructor(private readonly ai: AiService) {}

  @Reusable()
  @Query(() => CallOutcomeTool, {
    description:
      "The function-calling tool for reporting a call's outcome (AI_AGENT; ADMIN may preview it for an audience).",
  })
  callOutcomeTool(
    @Caller() actor: Principal,
    @Arg("format", () => ToolFormat, { description: "The vendor shape of `definition`." })
    format: ToolFormat,
    @Arg("afterCallTransfer", () => Boolean, {
      nullable: true,
      description: "With audience AGENT: include AFTER_CALL_TRANSFER statuses.",
    })
    afterCallTransfer?: boolean | null,
    @Arg("audience", () => Audience, {
      nullable: true,
      description: "ADMIN only: whose tool to build (default AI_AGENT).",
    })
    audience?: Audience | null,
  ): Promise<OutcomeTool> {
    return this.ai.tool({ format, afterCallTransfer, audience }, actor);
  }

  @Mutation(() => CallResult, {
    description:
      "Records the outcome an AI agent's model chose, from its raw tool-call arguments, through the same rules as `recordCallResult`.",
  })
  recordAiCallResult(
    @Caller() actor: Principal,
    @Arg("input", () => RecordAiCallResultInput, { description: "The model's choice." })
    input: RecordAiCallResultInput,
  ): Promise<CallResultData> {
    return this.ai.record(input, actor);
  }

  @Reusable()
  @Query(() => [ConfigurationWarning], {
    description: "Settings that would confuse agents or AI agents (ADMIN).",
  })
  configurationWarnings(@Caller() actor: Principal): Promise<Warning[]> {
    return this.ai.warnings(actor);
  }
}
