import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";
import { accountForeignKeyName } from "./1764100000007-Accounts";

const TABLE = "change_log";

/**
 * The account change log: one row per committed change (a status created or updated, a lead
 * created or moved, a call recorded), written in the change's own transaction. New, empty: the
 * changes before it are not reconstructed. Safe to re-run (the table is created if missing).
 */
export class ChangeLog1764100000010 implements MigrationInterface {
  name = "ChangeLog1764100000010";

  public async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === "mysql" || type === "mariadb";
    // 64-bit on MySQL/MariaDB; INTEGER (64-bit there too) on SQLite, as the service has TypeORM
    // model `bigint` on SQLite (src/db/data-source.ts).
    const wide = mysql ? "bigint" : "integer";
    await queryRunner.createTable(
      new Table({
        name: TABLE,
        columns: [
          {
            name: "id",
            type: wide,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "account_id", type: "integer" },
          { name: "type", type: "varchar", length: "40" },
          { name: "entity_id", type: wide },
          { name: "lead_id", type: wide, isNullable: true },
          { name: "revision", type: "integer", isNullable: true },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
        ],
        indices: [
          new TableIndex({ name: "IDX_change_log_account", columnNames: ["account_id", "id"] }),
          new TableIndex({ name: "IDX_change_log_created_at", columnNames: ["created_at", "id"] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: accountForeignKeyName(TABLE),
            columnNames: ["account_id"],
            referencedTableName: "accounts",
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
    await queryRunner.dropTable(TABLE, true);
  }
}
