import {
  MigrationInterface,
  QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from "typeorm";
import { accountForeignKeyName } from "./1764100000007-Accounts";

const TABLE = "change_log";

/**
 * The change feed: each change log entry gets its place in its account's feed (`seq`, given
 * after the entry's transaction has committed, in the order entries become visible — so a
 * consumer that pages by it never misses an entry that committed late) and what the change was,
 * as it was at commit (`data`, JSON); per account the last place given (`change_feed_heads`,
 * kept when old entries are pruned). Also the `leases` table, through which one instance at a
 * time does a job such as numbering the feed. Entries written before have no data, and are
 * numbered like new ones. Safe to re-run (each column, index and table only if missing).
 */
export class ChangeFeed1764100000011 implements MigrationInterface {
  name = "ChangeFeed1764100000011";

  public async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === "mysql" || type === "mariadb";
    const wide = mysql ? "bigint" : "integer";
    const table = await queryRunner.getTable(TABLE);
    if (!table?.findColumnByName("seq")) {
      await queryRunner.addColumn(
        TABLE,
        new TableColumn({ name: "seq", type: wide, isNullable: true }),
      );
    }
    if (!table?.findColumnByName("data")) {
      await queryRunner.addColumn(
        TABLE,
        new TableColumn({ name: "data", type: "text", isNullable: true }),
      );
    }
    const indices = (await queryRunner.getTable(TABLE))?.indices ?? [];
    if (!indices.some((index) => index.name === "UQ_change_log_account_seq")) {
      await queryRunner.createIndex(
        TABLE,
        new TableIndex({
          name: "UQ_change_log_account_seq",
          columnNames: ["account_id", "seq"],
          isUnique: true,
        }),
      );
    }
    if (!indices.some((index) => index.name === "IDX_change_log_seq")) {
      // The entries still to be numbered (seq NULL) come first, oldest first.
      await queryRunner.createIndex(
        TABLE,
        new TableIndex({ name: "IDX_change_log_seq", columnNames: ["seq", "id"] }),
      );
    }
    // Per account, the last place given in its feed (the entries may be pruned, the count not).
    await queryRunner.createTable(
      new Table({
        name: "change_feed_heads",
        columns: [
          { name: "account_id", type: "integer", isPrimary: true },
          { name: "seq", type: wide },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: accountForeignKeyName("change_feed_heads"),
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
    await queryRunner.createTable(
      new Table({
        name: "leases",
        columns: [
          { name: "name", type: "varchar", length: "64", isPrimary: true },
          { name: "holder", type: "varchar", length: "100" },
          { name: "expires_at", type: wide },
        ],
      }),
      true,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("leases", true);
    await queryRunner.dropTable("change_feed_heads", true);
    await queryRunner.dropIndex(TABLE, "IDX_change_log_seq");
    await queryRunner.dropIndex(TABLE, "UQ_change_log_account_seq");
    await queryRunner.dropColumn(TABLE, "data");
    await queryRunner.dropColumn(TABLE, "seq");
  }
}
