import { MigrationInterface, QueryRunner, Table, TableIndex } from "typeorm";

/** The audit trail of settings changes. Safe to re-run after a partial failure. */
export class CreateAuditLog1764100000004 implements MigrationInterface {
  name = "CreateAuditLog1764100000004";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "audit_log",
        columns: [
          {
            name: "id",
            type: "integer",
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "at", type: "datetime" },
          { name: "actor_id", type: "varchar", length: "255" },
          { name: "actor_role", type: "varchar", length: "16", isNullable: true },
          { name: "action", type: "varchar", length: "16" },
          { name: "entity_type", type: "varchar", length: "32" },
          { name: "entity_id", type: "integer" },
          { name: "changes", type: "text" },
          { name: "request_id", type: "varchar", length: "128", isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: "IDX_audit_log_entity",
            columnNames: ["entity_type", "entity_id", "id"],
          }),
          new TableIndex({ name: "IDX_audit_log_actor", columnNames: ["actor_id", "id"] }),
          new TableIndex({ name: "IDX_audit_log_at", columnNames: ["at", "id"] }),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("audit_log", true);
  }
}
