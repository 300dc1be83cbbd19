/** `npm run schema`: writes the sorted SDL to schema.graphql (committed; a test checks it). */
import { emitSchemaDefinitionFile } from "type-graphql";
import { buildAppSchema } from "../app";
import { SCHEMA_FILE } from "../graphql/schema";

async function main(): Promise<void> {
  await emitSchemaDefinitionFile(SCHEMA_FILE, await buildAppSchema(), { sortedSchema: true });
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`schema emit failed: ${String(error)}\n`);
  process.exit(1);
});
