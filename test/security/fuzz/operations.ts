/** Every operation of the schema, with arbitrary variables of the chosen mode. */
import fc from "fast-check";
import { ROLES, SYSTEM_CALL_CODES, LEAD_CODES } from "./settings";
import {
  deep,
  serialize,
  text,
  validText,
  numbers,
  hostile,
  type Mode,
  ODD_IDS,
  anyId,
  typedId,
  callCode,
  leadCode,
  newCode,
  sort,
  enumOf,
  AUDIENCES,
  STATUS_TYPES,
  VISIBILITIES,
  CATEGORIES,
  TOOL_FORMATS,
  AUDIT_ENTITIES,
  color,
  dateTime,
  futureDateTime,
  cursor,
  pageSize,
  inputOf,
  variablesOf,
} from "./values";

export const CALL_STATUS = `id code title description sort type agentVisibility showToAgent showToAiAgents
  commentRequired planningTimeRequired version createdAt updatedAt leadStatus { id code category }`;
export const LEAD_STATUS = "id code title category color sort type version createdAt updatedAt";
export const LEAD = "id name phone externalId version status { code }";
export const CALL = `id comment afterCallTransfer nextCallAt leadStatusChanged recordedBy recordedByRole
  createdAt status { code } lead { id }`;

export interface Operation {
  name: string;
  /** How often it is picked, relative to the others (1 unless given). */
  weight?: number;
  document: string;
  variables: fc.Arbitrary<unknown>;
}

/** Key ids the fuzzing must not revoke (the keys it sends), and one it may. */
export interface KeyIds {
  keep: Set<string>;
  victim: string;
  revoked: string;
}

export function operations(keys: KeyIds, mode: Mode): Operation[] {
  const valid = mode === "valid";
  const id = valid
    ? fc.integer({ min: 1, max: 5 }).map(String)
    : mode === "typed"
      ? typedId
      : anyId;
  const str = valid ? validText : text;
  const callCodes = valid ? fc.constantFrom(...SYSTEM_CALL_CODES) : callCode;
  const leadCodes = valid ? fc.constantFrom(...LEAD_CODES) : leadCode;
  const when = valid ? futureDateTime : dateTime;
  const colour = valid ? fc.stringMatching(/^#[0-9A-Fa-f]{6}$/) : color;
  const key = valid
    ? fc.uuid()
    : fc.oneof(text, fc.constantFrom("k1", "k2", "K1", "k1 ", "😀", "😁"));
  const version =
    mode === "typed"
      ? fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(-1, 2147483647, -2147483648))
      : fc.oneof(fc.integer({ min: 0, max: 20 }), numbers);
  const callStatusFilter = inputOf(mode, {
    search: str,
    visibleTo: enumOf(mode, AUDIENCES),
    afterCallTransfer: fc.boolean(),
    type: enumOf(mode, STATUS_TYPES),
    leadStatusCode: leadCodes,
  });
  const leadStatusFilter = inputOf(mode, {
    search: str,
    category: enumOf(mode, CATEGORIES),
    type: enumOf(mode, STATUS_TYPES),
  });
  const recordInput = inputOf(
    mode,
    {
      leadId: id,
      callStatusCode: callCodes,
      comment: fc.option(str, { nil: null }),
      idempotencyKey: key,
      afterCallTransfer: fc.boolean(),
      nextCallAt: fc.option(when, { nil: null }),
    },
    ["leadId", "callStatusCode"],
  );
  const validAiArguments = fc.record(
    {
      callStatusCode: fc.constantFrom("qualified", "disqualified"),
      comment: validText,
      nextCallAt: futureDateTime,
    },
    { requiredKeys: ["callStatusCode"] },
  );
  const aiArguments = valid
    ? fc.oneof(
        validAiArguments,
        validAiArguments.map((args) => JSON.stringify(args)),
      )
    : fc.oneof(
        inputOf(mode, { callStatusCode: callCodes, comment: str, nextCallAt: when }),
        inputOf(mode, { callStatusCode: callCodes, comment: str, nextCallAt: when }).map((args) =>
          serialize(args),
        ),
        fc.constantFrom('{"callStatusCode":', "{}", "[]", "null", '"qualified"', "", "{'a':1}"),
        // a deep structure where the tool expects a scalar
        fc
          .record({
            field: fc.constantFrom("callStatusCode", "comment", "nextCallAt", "extra"),
            nested: fc.constantFrom(
              deep("array", 5_000),
              deep("object", 100_000),
              deep("array", 100_000),
            ),
            asText: fc.boolean(),
          })
          .map(({ field, nested, asText }) => {
            const args = { callStatusCode: "qualified", [field]: nested };
            return asText ? serialize(args) : args;
          }),
        hostile,
      );
  // Any id but the keys in use; conservative: whatever the server would read as their number.
  const revocableId = fc
    .oneof(
      fc.constantFrom(keys.victim, keys.revoked),
      fc.integer({ min: 100, max: 1_000_000 }).map(String),
      fc.constantFrom(...ODD_IDS),
      hostile,
    )
    .filter((value) => {
      const trimmed = String(value).trim();
      return !(/^[0-9]+(\.0*)?$/.test(trimmed) && keys.keep.has(String(Number(trimmed))));
    });

  return [
    {
      name: "callStatuses",
      document: `query CallStatuses($filter: CallStatusFilter) {
        callStatuses(filter: $filter) { ${CALL_STATUS} } }`,
      variables: variablesOf(mode, { filter: callStatusFilter }),
    },
    {
      name: "callStatus",
      document: `query CallStatus($id: ID, $code: String) {
        callStatus(id: $id, code: $code) { ${CALL_STATUS} history { action changes actorRole } } }`,
      variables: variablesOf(mode, { id, code: callCodes }),
    },
    {
      name: "leadStatuses",
      document: `query LeadStatuses($filter: LeadStatusFilter, $visibleTo: Audience, $transfer: Boolean) {
        leadStatuses(filter: $filter) {
          ${LEAD_STATUS} callStatuses(visibleTo: $visibleTo, afterCallTransfer: $transfer) { code }
        } }`,
      variables: variablesOf(mode, {
        filter: leadStatusFilter,
        visibleTo: enumOf(mode, AUDIENCES),
        transfer: fc.boolean(),
      }),
    },
    {
      name: "leadStatus",
      document: `query LeadStatus($id: ID, $code: String) {
        leadStatus(id: $id, code: $code) { ${LEAD_STATUS} history { action entityId } } }`,
      variables: variablesOf(mode, { id, code: leadCodes }),
    },
    {
      name: "leads",
      document: `query Leads($first: Int, $after: String, $filter: LeadFilter) {
        leads(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { ${LEAD} } } } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          search: str,
          statusCode: leadCodes,
          category: enumOf(mode, CATEGORIES),
          phone: str,
          externalId: str,
        }),
      }),
    },
    {
      name: "lead",
      document: `query Lead($id: ID!, $first: Int, $after: String) {
        lead(id: $id) { ${LEAD} calls(first: $first, after: $after) {
          totalCount edges { cursor node { ${CALL} } } } } }`,
      variables: variablesOf(mode, { id, first: pageSize, after: cursor }, ["id"]),
    },
    {
      name: "calls",
      document: `query Calls($first: Int, $after: String, $filter: CallFilter) {
        calls(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { endCursor hasNextPage } edges { node { ${CALL} } } } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          leadId: id,
          callStatusCode: callCodes,
          from: when,
          to: when,
        }),
      }),
    },
    {
      name: "auditLog",
      document: `query AuditLog($first: Int, $after: String, $filter: AuditLogFilter) {
        auditLog(first: $first, after: $after, filter: $filter) {
          totalCount pageInfo { endCursor }
          edges { cursor node { id action entityType entityId actorId actorRole at changes requestId } }
        } }`,
      variables: variablesOf(mode, {
        first: pageSize,
        after: cursor,
        filter: inputOf(mode, {
          actorId: fc.oneof(text, fc.constantFrom("key:1", "key:2", "system", "cli")),
          entityId: id,
          entityType: enumOf(mode, AUDIT_ENTITIES),
          from: when,
          to: when,
        }),
      }),
    },
    {
      name: "apiKeys",
      document: `query ApiKeys { apiKeys { id prefix name role active revokedAt lastUsedAt } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "callOutcomeTool",
      document: `query Tool($format: ToolFormat!, $audience: Audience, $transfer: Boolean) {
        callOutcomeTool(format: $format, audience: $audience, afterCallTransfer: $transfer) {
          name description allowedCodes revision parameters definition } }`,
      variables: variablesOf(
        mode,
        {
          format: enumOf(mode, TOOL_FORMATS),
          audience: enumOf(mode, AUDIENCES),
          transfer: fc.boolean(),
        },
        ["format"],
      ),
    },
    {
      name: "configurationWarnings",
      document: `query Warnings { configurationWarnings { kind audience callStatusCodes message } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "viewer",
      document: `query Viewer { viewer { role actorId keyPrefix } }`,
      variables: variablesOf(mode, {}),
    },
    {
      name: "createCallStatus",
      weight: 2,
      document: `mutation CreateCallStatus($input: CreateCallStatusInput!) {
        createCallStatus(input: $input) { ${CALL_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            {
              code: newCode,
              title: str,
              description: fc.option(str, { nil: null }),
              sort,
              commentRequired: fc.boolean(),
              planningTimeRequired: fc.boolean(),
              leadStatusCode: fc.option(leadCodes, { nil: null }),
              agentVisibility: enumOf(mode, VISIBILITIES),
              showToAiAgents: fc.boolean(),
            },
            ["title"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "updateCallStatus",
      weight: 3,
      document: `mutation UpdateCallStatus($id: ID!, $input: UpdateCallStatusInput!) {
        updateCallStatus(id: $id, input: $input) { ${CALL_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          id,
          input: inputOf(mode, {
            title: str,
            description: fc.option(str, { nil: null }),
            sort,
            commentRequired: fc.boolean(),
            planningTimeRequired: fc.boolean(),
            leadStatusCode: fc.option(leadCodes, { nil: null }),
            agentVisibility: enumOf(mode, VISIBILITIES),
            showToAiAgents: fc.boolean(),
            ...(valid ? {} : { expectedVersion: version }),
          }),
        },
        ["id", "input"],
      ),
    },
    {
      name: "createLeadStatus",
      weight: 1,
      document: `mutation CreateLeadStatus($input: CreateLeadStatusInput!) {
        createLeadStatus(input: $input) { ${LEAD_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            { code: newCode, title: str, category: enumOf(mode, CATEGORIES), color: colour, sort },
            ["title", "category"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "updateLeadStatus",
      weight: 2,
      document: `mutation UpdateLeadStatus($id: ID!, $input: UpdateLeadStatusInput!) {
        updateLeadStatus(id: $id, input: $input) { ${LEAD_STATUS} } }`,
      variables: variablesOf(
        mode,
        {
          id,
          input: inputOf(mode, {
            title: str,
            color: colour,
            sort,
            category: enumOf(mode, CATEGORIES),
            ...(valid ? {} : { expectedVersion: version }),
          }),
        },
        ["id", "input"],
      ),
    },
    {
      name: "createLead",
      weight: 1,
      document: `mutation CreateLead($input: CreateLeadInput!) { createLead(input: $input) { ${LEAD} } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(mode, {
            externalId: valid
              ? fc.option(fc.uuid(), { nil: null })
              : fc.oneof(
                  fc.option(text, { nil: null }),
                  fc.constantFrom("ext-1", "EXT-1", "ext-1 ", "😀", "😁"),
                ),
            name: str,
            phone: valid
              ? fc.stringMatching(/^[0-9 +().-]{1,32}$/)
              : fc.oneof(fc.stringMatching(/^[0-9 +().-]{0,40}$/), text),
            statusCode: leadCodes,
          }),
        },
        ["input"],
      ),
    },
    {
      name: "recordCallResult",
      weight: 6,
      document: `mutation Record($input: RecordCallResultInput!) {
        recordCallResult(input: $input) { leadStatusChanged lead { ${LEAD} } call { ${CALL} } } }`,
      variables: variablesOf(mode, { input: recordInput }, ["input"]),
    },
    {
      name: "recordAiCallResult",
      weight: 4,
      document: `mutation RecordAi($input: RecordAiCallResultInput!) {
        recordAiCallResult(input: $input) { leadStatusChanged call { ${CALL} } lead { ${LEAD} } } }`,
      variables: variablesOf(
        mode,
        {
          input: inputOf(
            mode,
            {
              leadId: id,
              arguments: aiArguments,
              idempotencyKey: key,
              revision: fc.oneof(text, fc.stringMatching(/^[0-9a-f]{8,64}$/)),
            },
            ["leadId", "arguments"],
          ),
        },
        ["input"],
      ),
    },
    {
      name: "createApiKey",
      document: `mutation CreateApiKey($input: CreateApiKeyInput!) {
        createApiKey(input: $input) { apiKey { id prefix name role active } } }`,
      variables: variablesOf(
        mode,
        { input: inputOf(mode, { name: str, role: enumOf(mode, ROLES) }, ["name", "role"]) },
        ["input"],
      ),
    },
    {
      name: "revokeApiKey",
      document: `mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id active revokedAt } }`,
      // never a key in use, however hostile the rest
      variables: fc.record({ id: revocableId }),
    },
  ];
}
