import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLSchema,
} from "graphql";
import { emitSchemaDefinitionFile } from "type-graphql";
import { buildAppSchema } from "../../src/app";
import { SCHEMA_FILE } from "../../src/graphql/schema";

describe("schema.graphql", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema();
  });

  it("is up to date with the code (run `npm run schema` after changing the API)", async () => {
    const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "schema-")), "schema.graphql");
    await emitSchemaDefinitionFile(fresh, schema, { sortedSchema: true });
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(fs.readFileSync(fresh, "utf8"));
  });

  it("describes every type, field, argument, input field and enum value", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) {
          if (!value.description) missing.push(`${type.name}.${value.name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("has the contract's operations and no way to delete or to change a code or a type", () => {
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual([
      "accounts",
      "apiKeys",
      "auditLog",
      "callOutcomeTool",
      "callStatus",
      "callStatuses",
      "calls",
      "changes",
      "configurationWarnings",
      "lead",
      "leadStatus",
      "leadStatuses",
      "leads",
      "statusesRevision",
      "viewer",
      "webhookDeliveries",
      "webhookEndpoints",
    ]);
    expect(Object.keys(schema.getSubscriptionType()!.getFields()).sort()).toEqual([
      "callStatusesChanged",
      "leadChanged",
      "leadStatusesChanged",
    ]);
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual([
      "createAccount",
      "createApiKey",
      "createCallStatus",
      "createLead",
      "createLeadStatus",
      "createWebhookEndpoint",
      "recordAiCallResult",
      "recordCallResult",
      "redeliverWebhookEvents",
      "reorderCallStatuses",
      "reorderLeadStatuses",
      "revokeApiKey",
      "rotateWebhookEndpointSecret",
      "updateAccount",
      "updateCallStatus",
      "updateLeadStatus",
      "updateWebhookEndpoint",
    ]);
    for (const name of ["UpdateCallStatusInput", "UpdateLeadStatusInput"]) {
      const input = schema.getType(name);
      if (!isInputObjectType(input)) throw new Error(`${name} missing`);
      expect(Object.keys(input.getFields())).not.toEqual(expect.arrayContaining(["code"]));
      expect(Object.keys(input.getFields())).not.toEqual(expect.arrayContaining(["type"]));
    }
  });
});
