import { connectionType } from "../graphql/connection";
import { Lead } from "./lead.entity";

export const LeadConnection = connectionType(Lead, "Lead", "lead");
