import { registerEnumType } from "type-graphql";

/** Who created a status: shipped with the product (seeded) or created through the API. */
export enum StatusType {
  SYSTEM = "SYSTEM",
  CUSTOM = "CUSTOM",
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

registerEnumType(LeadStatusCategory, {
  name: "LeadStatusCategory",
  description: "The group a lead status belongs to.",
  valuesConfig: {
    IN_PROGRESS: { description: "The lead is still being worked on." },
    QUALIFIED: { description: 'The lead is a match (shown as "Target").' },
    DISQUALIFIED: { description: 'The lead is not a match (shown as "Non-target").' },
  },
});
