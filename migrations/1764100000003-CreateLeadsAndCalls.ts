import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";

const id = {
  name: "id",
  type: "integer",
  isPrimary: true,
  isGenerated: true,
  generationStrategy: "increment" as const,
};

function foreignKey(name: string, column: string, table: string) {
  return new TableForeignKey({
    name,
    columnNames: [column],
    referencedTableName: table,
    referencedColumnNames: ["id"],
    onDelete: "NO ACTION",
    onUpdate: "NO ACTION",
  });
}

/** Leads and the calls recorded for them. Safe to re-run after a partial failure. */
export class CreateLeadsAndCalls1764100000003 implements MigrationInterface {
  name = "CreateLeadsAndCalls1764100000003";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "leads",
        columns: [
          id,
          { name: "external_id", type: "varchar", length: "255", isNullable: true },
          { name: "phone", type: "varchar", length: "32", isNullable: true },
          { name: "name", type: "varchar", length: "255", isNullable: true },
          { name: "status_id", type: "integer" },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
          {
            name: "updated_at",
            type: "datetime",
            default: "CURRENT_TIMESTAMP",
            onUpdate: "CURRENT_TIMESTAMP",
          },
          { name: "version", type: "integer", default: 1 },
        ],
        indices: [
          new TableIndex({
            name: "UQ_leads_external_id",
            columnNames: ["external_id"],
            isUnique: true,
          }),
          new TableIndex({ name: "IDX_leads_status", columnNames: ["status_id", "id"] }),
        ],
        foreignKeys: [foreignKey("FK_leads_status", "status_id", "lead_statuses")],
      }),
      true,
    );

    await queryRunner.createTable(
      new Table({
        name: "calls",
        columns: [
          id,
          { name: "lead_id", type: "integer" },
          { name: "call_status_id", type: "integer" },
          { name: "comment", type: "varchar", length: "2000", isNullable: true },
          { name: "after_call_transfer", type: "boolean", default: 0 },
          { name: "next_call_at", type: "datetime", isNullable: true },
          { name: "lead_status_changed", type: "boolean", default: 0 },
          {
            name: "recorded_by_role",
            type: "enum",
            enum: ["ADMIN", "AGENT", "AI_AGENT", "SYSTEM"],
          },
          { name: "recorded_by", type: "varchar", length: "255" },
          { name: "idempotency_hash", type: "varchar", length: "64", isNullable: true },
          { name: "request_hash", type: "varchar", length: "64", isNullable: true },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
        ],
        indices: [
          new TableIndex({ name: "IDX_calls_lead", columnNames: ["lead_id", "id"] }),
          new TableIndex({ name: "IDX_calls_call_status", columnNames: ["call_status_id", "id"] }),
          new TableIndex({ name: "IDX_calls_created_at", columnNames: ["created_at", "id"] }),
          new TableIndex({
            name: "UQ_calls_idempotency",
            columnNames: ["idempotency_hash"],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          foreignKey("FK_calls_lead", "lead_id", "leads"),
          foreignKey("FK_calls_call_status", "call_status_id", "call_statuses"),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("calls", true);
    await queryRunner.dropTable("leads", true);
  }
}
