/** Making a lead and recording its calls over HTTP, as the tests of what follows from them do. */
import type { TestServer } from "./harness";

/** A lead named `name` (also its external id); answers its id. */
export async function createLead(server: TestServer, name: string): Promise<string> {
  const { createLead } = await server.ok<{ createLead: { id: string } }>(
    `mutation($name: String!) { createLead(input: { name: $name, externalId: $name }) { id } }`,
    { name },
  );
  return createLead.id;
}

/** Records a call of `leadId` with the outcome `code`; answers the call's id. */
export async function recordCall(
  server: TestServer,
  leadId: string,
  code: string,
  comment?: string,
): Promise<string> {
  const { recordCallResult } = await server.ok<{ recordCallResult: { call: { id: string } } }>(
    `mutation($input: RecordCallResultInput!) { recordCallResult(input: $input) { call { id } } }`,
    { input: { leadId, callStatusCode: code, comment } },
  );
  return recordCallResult.call.id;
}
