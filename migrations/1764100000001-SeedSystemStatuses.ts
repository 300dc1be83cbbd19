import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The system statuses that ship with the product. This data is frozen here on
 * purpose: a later change to the shipped statuses is a new migration, never an edit of this one.
 */
const LEAD_STATUSES = [
  { code: "new", title: "New", category: "IN_PROGRESS", sort: 10, color: "#2196F3" },
  {
    code: "in_progress",
    title: "In progress",
    category: "IN_PROGRESS",
    sort: 20,
    color: "#FFC107",
  },
  { code: "qualified", title: "Qualified", category: "QUALIFIED", sort: 30, color: "#4CAF50" },
  {
    code: "disqualified",
    title: "Disqualified",
    category: "DISQUALIFIED",
    sort: 40,
    color: "#F44336",
  },
];

const CALL_STATUSES = [
  {
    code: "qualified",
    title: "Qualified",
    description: "The lead is a match: they are interested and meet the campaign's criteria.",
    lead: "qualified",
    agentVisibility: "ALWAYS",
    ai: 1,
  },
  {
    code: "disqualified",
    title: "Disqualified",
    description:
      "The lead is not a match: not interested or does not meet the campaign's criteria.",
    lead: "disqualified",
    agentVisibility: "ALWAYS",
    ai: 1,
  },
  {
    code: "voicemail",
    title: "Voicemail",
    description: "Set by the dialer when an answering machine picks up.",
    lead: "in_progress",
    agentVisibility: "NEVER",
    ai: 0,
  },
  {
    code: "call_terminated",
    title: "Call terminated",
    description: "Set when a predictive dial could not reach the lead and ended the call.",
    lead: "in_progress",
    agentVisibility: "NEVER",
    ai: 0,
  },
  {
    code: "not_accepted_by_operator",
    title: "Not accepted by operator",
    description: "The call connected, but the agent could not take it (a technical problem).",
    lead: "in_progress",
    agentVisibility: "NEVER",
    ai: 0,
  },
  {
    code: "post_processing_not_completed",
    title: "Post processing not completed",
    description: "The agent left the wrap-up unfinished (for example, reloaded the page).",
    lead: "in_progress",
    agentVisibility: "NEVER",
    ai: 0,
  },
  {
    code: "missed_by_system",
    title: "Missed by the system",
    description: "A technical error happened before the lead was reached.",
    lead: "in_progress",
    agentVisibility: "NEVER",
    ai: 0,
  },
];

export const SEEDED_LEAD_STATUS_CODES = LEAD_STATUSES.map((s) => s.code);
export const SEEDED_CALL_STATUS_CODES = CALL_STATUSES.map((s) => s.code);

function utcNow(): string {
  return new Date().toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Seeds the 4 system lead statuses and 7 system call statuses. Idempotent: a status whose code
 * already exists is left as it is, so re-running never duplicates or overwrites anything.
 */
export class SeedSystemStatuses1764100000001 implements MigrationInterface {
  name = "SeedSystemStatuses1764100000001";

  public async up(queryRunner: QueryRunner): Promise<void> {
    const now = utcNow();
    const existingLead = await codesIn(queryRunner, "lead_statuses");
    for (const s of LEAD_STATUSES) {
      if (existingLead.has(s.code)) continue;
      await insertRow(queryRunner, "lead_statuses", {
        code: s.code,
        title: s.title,
        category: s.category,
        sort: s.sort,
        color: s.color,
        type: "SYSTEM",
        created_at: now,
        updated_at: now,
        version: 1,
      });
    }

    const leadRows: Array<{ id: number | string; code: string }> = await queryRunner.query(
      "SELECT id, code FROM lead_statuses",
    );
    const leadIds = new Map(leadRows.map((row) => [row.code, Number(row.id)]));

    const existingCall = await codesIn(queryRunner, "call_statuses");
    for (const [index, s] of CALL_STATUSES.entries()) {
      if (existingCall.has(s.code)) continue;
      await insertRow(queryRunner, "call_statuses", {
        code: s.code,
        title: s.title,
        description: s.description,
        sort: (index + 1) * 10,
        comment_required: 0,
        planning_time_required: 0,
        lead_status_id: leadIds.get(s.lead) ?? null,
        type: "SYSTEM",
        agent_visibility: s.agentVisibility,
        show_to_ai_agents: s.ai,
        created_at: now,
        updated_at: now,
        version: 1,
      });
    }
  }

  /** Removes the seeded system statuses (and only those: custom statuses stay). */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await deleteSystemRows(queryRunner, "call_statuses", SEEDED_CALL_STATUS_CODES);
    await deleteSystemRows(queryRunner, "lead_statuses", SEEDED_LEAD_STATUS_CODES);
  }
}

// Plain SQL with `?` placeholders (understood by both mysql2 and better-sqlite3), so that this
// migration does not depend on the entity classes, which will evolve.

async function insertRow(
  queryRunner: QueryRunner,
  table: string,
  row: Record<string, string | number | null>,
): Promise<void> {
  const escape = (name: string) => queryRunner.connection.driver.escape(name);
  const columns = Object.keys(row);
  await queryRunner.query(
    `INSERT INTO ${escape(table)} (${columns.map(escape).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    Object.values(row),
  );
}

async function deleteSystemRows(queryRunner: QueryRunner, table: string, codes: string[]) {
  await queryRunner.query(
    `DELETE FROM ${queryRunner.connection.driver.escape(table)} WHERE type = 'SYSTEM' AND code IN (${codes.map(() => "?").join(", ")})`,
    codes,
  );
}

async function codesIn(queryRunner: QueryRunner, table: string): Promise<Set<string>> {
  const rows: Array<{ code: string }> = await queryRunner.query(
    `SELECT code FROM ${queryRunner.connection.driver.escape(table)}`,
  );
  return new Set(rows.map((r) => r.code));
}
