import { MigrationInterface, QueryRunner, Table } from "typeorm";

/**
 * One row counting changes to the status lists: every settings change bumps it in its own
 * transaction, so each running instance can tell, with one cheap read, whether its in-memory
 * copy of the lists is still current. Safe to re-run after a partial failure.
 */
export class CreateStatusRevision1764100000005 implements MigrationInterface {
  name = "CreateStatusRevision1764100000005";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: "status_revision",
        columns: [
          { name: "id", type: "integer", isPrimary: true },
          { name: "revision", type: "integer", default: 0 },
        ],
      }),
      true,
    );
    const existing: unknown[] = await queryRunner.query(
      "SELECT id FROM status_revision WHERE id = 1",
    );
    if (existing.length === 0) {
      await queryRunner.query("INSERT INTO status_revision (id, revision) VALUES (1, 0)");
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("status_revision", true);
  }
}
