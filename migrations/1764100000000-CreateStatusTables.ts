import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";

const STATUS_TYPES = ["SYSTEM", "CUSTOM"];

/** Columns both status tables share, in the form that matches the entities on MySQL and SQLite. */
function commonColumns() {
  return {
    id: {
      name: "id",
      type: "integer",
      isPrimary: true,
      isGenerated: true,
      generationStrategy: "increment" as const,
    },
    code: { name: "code", type: "varchar", length: "64" },
    title: { name: "title", type: "varchar", length: "255" },
    sort: { name: "sort", type: "integer" },
    type: { name: "type", type: "enum", enum: STATUS_TYPES, default: "'CUSTOM'" },
    createdAt: { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
    updatedAt: {
      name: "updated_at",
      type: "datetime",
      default: "CURRENT_TIMESTAMP",
      onUpdate: "CURRENT_TIMESTAMP",
    },
    version: { name: "version", type: "integer", default: 1 },
  };
}

/**
 * The lead status and call status tables. Safe to re-run after a partial failure (MariaDB DDL is
 * not transactional): every step is skipped when its table already exists.
 */
export class CreateStatusTables1764100000000 implements MigrationInterface {
  name = "CreateStatusTables1764100000000";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await assertUtf8mb4(queryRunner);
    const c = commonColumns();

    await queryRunner.createTable(
      new Table({
        name: "lead_statuses",
        columns: [
          c.id,
          c.code,
          c.title,
          {
            name: "category",
            type: "enum",
            enum: ["IN_PROGRESS", "QUALIFIED", "DISQUALIFIED"],
          },
          c.sort,
          { name: "color", type: "varchar", length: "7" },
          c.type,
          c.createdAt,
          c.updatedAt,
          c.version,
        ],
        indices: [
          new TableIndex({ name: "UQ_lead_statuses_code", columnNames: ["code"], isUnique: true }),
          new TableIndex({ name: "IDX_lead_statuses_sort", columnNames: ["sort", "id"] }),
        ],
      }),
      true,
    );

    await queryRunner.createTable(
      new Table({
        name: "call_statuses",
        columns: [
          c.id,
          c.code,
          c.title,
          { name: "description", type: "varchar", length: "1000", isNullable: true },
          c.sort,
          { name: "comment_required", type: "boolean", default: 0 },
          { name: "planning_time_required", type: "boolean", default: 0 },
          { name: "lead_status_id", type: "integer", isNullable: true },
          c.type,
          {
            name: "agent_visibility",
            type: "enum",
            enum: ["ALWAYS", "AFTER_CALL_TRANSFER", "NEVER"],
            default: "'ALWAYS'",
          },
          { name: "show_to_ai_agents", type: "boolean", default: 0 },
          c.createdAt,
          c.updatedAt,
          c.version,
        ],
        indices: [
          new TableIndex({ name: "UQ_call_statuses_code", columnNames: ["code"], isUnique: true }),
          new TableIndex({ name: "IDX_call_statuses_sort", columnNames: ["sort", "id"] }),
          new TableIndex({
            name: "IDX_call_statuses_lead_status",
            columnNames: ["lead_status_id"],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: "FK_call_statuses_lead_status",
            columnNames: ["lead_status_id"],
            referencedTableName: "lead_statuses",
            referencedColumnNames: ["id"],
            onDelete: "NO ACTION",
            onUpdate: "NO ACTION",
          }),
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("call_statuses", true);
    await queryRunner.dropTable("lead_statuses", true);
  }
}

/**
 * On MySQL/MariaDB the tables take the database's character set. Titles are often Cyrillic (and
 * may hold emoji), so refuse to build them in anything but utf8mb4 rather than lose text later.
 */
async function assertUtf8mb4(queryRunner: QueryRunner): Promise<void> {
  const type = queryRunner.connection.options.type;
  if (type !== "mysql" && type !== "mariadb") return;
  const rows: Array<{ charset: string; db: string }> = await queryRunner.query(
    "SELECT @@character_set_database AS charset, DATABASE() AS db",
  );
  const { charset, db } = rows[0];
  if (charset !== "utf8mb4") {
    throw new Error(
      `Database "${db}" uses character set ${charset}; this service needs utf8mb4. ` +
        `Run: ALTER DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  }
}
