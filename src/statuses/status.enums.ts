import { registerEnumType } from "type-graphql";

/** Who created a status: shipped with the product (seeded) or created through the API. */
export enum StatusType {
  SYSTEM = "SYSTEM",
  CUSTOM = "CUSTOM",
}

/** When a call status is offered to a human agent in the wrap-up form. */
export enum AgentVisibility {
  ALWAYS = "ALWAYS",
  AFTER_CALL_TRANSFER = "AFTER_CALL_TRANSFER",
  NEVER = "NEVER",
}

/** A kind of caller that picks call outcomes. */
export enum Audience {
  AGENT = "AGENT",
  AI_AGENT = "AI_AGENT",
}

/** The lead's overall state in the workflow. */
export enum LeadStatusCategory {
  IN_PROGRESS = "IN_PROGRESS",
  QUALIFIED = "QUALIFIED",
  DISQUALIFIED = "DISQUALIFIED",
}

registerEnumType(StatusType, {
  name: "StatusType",
  description: "Whether a status ships with the product or was created by an administrator.",
  valuesConfig: {
    SYSTEM: {
      description:
        "Shipped with the product and seeded by a migration. Editable, but its code and type never change.",
    },
    CUSTOM: { description: "Created through the API by an administrator." },
  },
});

registerEnumType(AgentVisibility, {
  name: "AgentVisibility",
  description: "When a call status is offered to a human agent in the wrap-up form.",
  valuesConfig: {
    ALWAYS: { description: "Offered to agents after every call." },
    AFTER_CALL_TRANSFER: {
      description: "Offered to an agent only when the call was transferred to them.",
    },
    NEVER: {
      description:
        "Never offered to agents (set automatically by the dialer, or hidden by an administrator).",
    },
  },
});

registerEnumType(Audience, {
  name: "Audience",
  description: "A kind of caller that picks call outcomes.",
  valuesConfig: {
    AGENT: { description: "Human agents in the wrap-up form (see `agentVisibility`)." },
    AI_AGENT: { description: "AI voice agents (see `showToAiAgents`)." },
  },
});

registerEnumType(LeadStatusCategory, {
  name: "LeadStatusCategory",
  description: "The group a lead status belongs to.",
  valuesConfig: {
    IN_PROGRESS: { description: "The lead is still being worked on." },
    QUALIFIED: { description: 'The lead is a match (shown as "Target").' },
    DISQUALIFIED: { description: 'The lead is not a match (shown as "Non-target").' },
  },
});
