import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";
import { accountForeignKeyName } from "./1764100000007-Accounts";

/**
 * Webhooks: the endpoints of each account (`webhook_endpoints`: URL, event types, signing
 * secrets, and the dispatcher's place in the account's change feed) and one row per event to
 * send to an endpoint (`webhook_deliveries`: its attempts, the claim of the instance making one,
 * and when the next is due, as ms since the epoch). New and empty. Safe to re-run (each table
 * is created only if missing).
 */
export class Webhooks1764100000012 implements MigrationInterface {
  name = "Webhooks1764100000012";

  public async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === "mysql" || type === "mariadb";
    const wide = mysql ? "bigint" : "integer";
    const accountKey = (table: string) =>
      new TableForeignKey({
        name: accountForeignKeyName(table),
        columnNames: ["account_id"],
        referencedTableName: "accounts",
        referencedColumnNames: ["id"],
        onDelete: "NO ACTION",
        onUpdate: "NO ACTION",
      });
    await queryRunner.createTable(
      new Table({
        name: "webhook_endpoints",
        columns: [
          {
            name: "id",
            type: "integer",
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "account_id", type: "integer" },
          { name: "url", type: "varchar", length: "2048" },
          { name: "description", type: "varchar", length: "255", isNullable: true },
          { name: "events", type: "text" },
          { name: "active", type: "boolean", default: 1 },
          { name: "disabled_reason", type: "varchar", length: "255", isNullable: true },
          { name: "secret", type: "varchar", length: "255" },
          { name: "previous_secret", type: "varchar", length: "255", isNullable: true },
          { name: "previous_secret_until", type: wide, isNullable: true },
          { name: "cursor_seq", type: wide, default: 0 },
          { name: "failed_in_row", type: "integer", default: 0 },
          { name: "created_at", type: "datetime", default: "CURRENT_TIMESTAMP" },
          { name: "updated_at", type: "datetime" },
        ],
        indices: [
          new TableIndex({
            name: "IDX_webhook_endpoints_account",
            columnNames: ["account_id", "id"],
          }),
          new TableIndex({ name: "IDX_webhook_endpoints_active", columnNames: ["active", "id"] }),
        ],
        foreignKeys: [accountKey("webhook_endpoints")],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: "webhook_deliveries",
        columns: [
          {
            name: "id",
            type: wide,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: "increment",
          },
          { name: "account_id", type: "integer" },
          { name: "endpoint_id", type: "integer" },
          { name: "change_id", type: wide },
          { name: "seq", type: wide },
          { name: "event_type", type: "varchar", length: "40" },
          { name: "order_key", type: "varchar", length: "64" },
          { name: "status", type: "varchar", length: "16" },
          { name: "attempts", type: "integer", default: 0 },
          { name: "next_attempt_at", type: wide },
          { name: "claimed_until", type: wide, isNullable: true },
          { name: "claim_token", type: "varchar", length: "36", isNullable: true },
          { name: "first_attempt_at", type: wide, isNullable: true },
          { name: "last_attempt_at", type: wide, isNullable: true },
          { name: "last_status_code", type: "integer", isNullable: true },
          { name: "last_error", type: "varchar", length: "255", isNullable: true },
          { name: "last_latency_ms", type: "integer", isNullable: true },
          { name: "redelivery", type: "boolean", default: 0 },
          { name: "created_at", type: wide },
          { name: "completed_at", type: wide, isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: "IDX_webhook_deliveries_endpoint",
            columnNames: ["account_id", "endpoint_id", "id"],
          }),
          new TableIndex({
            name: "IDX_webhook_deliveries_due",
            columnNames: ["status", "next_attempt_at", "id"],
          }),
          new TableIndex({
            name: "IDX_webhook_deliveries_order",
            columnNames: ["endpoint_id", "order_key", "status", "seq"],
          }),
        ],
        foreignKeys: [accountKey("webhook_deliveries")],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("webhook_deliveries", true);
    await queryRunner.dropTable("webhook_endpoints", true);
  }
}
