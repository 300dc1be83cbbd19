import { Column, Entity, PrimaryColumn } from "typeorm";

/** The single row (id 1) whose `revision` every change to the status lists increases. */
@Entity({ name: "status_revision" })
export class StatusRevision {
  @PrimaryColumn({ type: "integer" })
  id!: number;

  @Column({ type: "integer", default: 0 })
  revision!: number;
}
