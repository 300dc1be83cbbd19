import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * A job that one instance at a time does (numbering the change feed, say): who holds it and
 * until when (ms since the epoch). Not an account's: one row per job for the whole service.
 */
@Entity({ name: "leases" })
export class Lease {
  @PrimaryColumn({ type: "varchar", length: 64 })
  name!: string;

  /** The instance holding it (a random id per process). */
  @Column({ type: "varchar", length: 100 })
  holder!: string;

  @Column({ name: "expires_at", type: "bigint" })
  expiresAt!: number;
}
