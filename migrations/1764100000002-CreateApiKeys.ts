import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";

/** API keys: only a hash of each secret is stored. Safe to re-run after a partial failure. */
export class CreateApiKeys1764100000002 implements MigrationInterface {
  name = "CreateApiKeys1764100000002";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "api_keys",
        columns: [
          {
            name: "id",
            type: "integer",
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "name", type: "varchar", length: "255" },
          { name: "role", type: "enum", enum: ["ADMIN", "AGENT", "AI_AGENT", "SYSTEM"] },
          { name: "prefix", type: "varchar", length: "32" },
          { name: "secret_hash", type: "varchar", length: "64" },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
          { name: "last_used_at", type: "datetime", isNullable: true },
          { name: "revoked_at", type: "datetime", isNullable: true },
        ],
        indices: [
          new TableIndex({ name: "UQ_api_keys_prefix", columnNames: ["prefix"], isUnique: true }),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("api_keys", true);
  }
}
