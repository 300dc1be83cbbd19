/** Lints of the call status settings that would confuse agents or AI agents. Pure. */
import { AgentVisibility, Audience, isVisibleTo } from "../access/audience";
import { LeadStatusCategory } from "../statuses/status.enums";

export enum WarningKind {
  AI_STATUS_WITHOUT_DESCRIPTION = "AI_STATUS_WITHOUT_DESCRIPTION",
  PLANNING_WITH_FINAL_LEAD_STATUS = "PLANNING_WITH_FINAL_LEAD_STATUS",
  DUPLICATE_VISIBLE_TITLE = "DUPLICATE_VISIBLE_TITLE",
  EMPTY_AUDIENCE = "EMPTY_AUDIENCE",
}

export interface LintStatus {
  code: string;
  title: string;
  description: string | null;
  planningTimeRequired: boolean;
  agentVisibility: AgentVisibility;
  showToAiAgents: boolean;
  leadStatus?: { code: string; category: LeadStatusCategory } | null;
}

export interface ConfigurationWarning {
  kind: WarningKind;
  message: string;
  /** The call statuses concerned (empty for EMPTY_AUDIENCE). */
  callStatusCodes: string[];
  /** The audience concerned, when the warning is about one. */
  audience: Audience | null;
}

const AUDIENCES: Array<{ audience: Audience; afterCallTransfer?: boolean; label: string }> = [
  { audience: Audience.AGENT, afterCallTransfer: true, label: "agents" },
  { audience: Audience.AI_AGENT, label: "AI agents" },
];

export function configurationWarnings(statuses: LintStatus[]): ConfigurationWarning[] {
  const warnings: ConfigurationWarning[] = [];
  for (const s of statuses) {
    if (s.showToAiAgents && !s.description?.trim()) {
      warnings.push({
        kind: WarningKind.AI_STATUS_WITHOUT_DESCRIPTION,
        message: `"${s.title}" (${s.code}) is open to AI agents but has no description to choose it by.`,
        callStatusCodes: [s.code],
        audience: Audience.AI_AGENT,
      });
    }
    if (
      s.planningTimeRequired &&
      s.leadStatus &&
      s.leadStatus.category !== LeadStatusCategory.IN_PROGRESS
    ) {
      warnings.push({
        kind: WarningKind.PLANNING_WITH_FINAL_LEAD_STATUS,
        message: `"${s.title}" (${s.code}) asks for the next call time but moves the lead to "${s.leadStatus.code}" (${s.leadStatus.category}), where no further call is expected.`,
        callStatusCodes: [s.code],
        audience: null,
      });
    }
  }
  for (const { audience, afterCallTransfer, label } of AUDIENCES) {
    const visible = statuses.filter((s) =>
      isVisibleTo(s, { visibleTo: audience, afterCallTransfer }),
    );
    if (visible.length === 0) {
      warnings.push({
        kind: WarningKind.EMPTY_AUDIENCE,
        message: `No call status is open to ${label}: they cannot record any outcome.`,
        callStatusCodes: [],
        audience,
      });
    }
    const byTitle = new Map<string, string[]>();
    for (const s of visible) {
      const key = s.title.trim().normalize("NFC").toLowerCase();
      byTitle.set(key, [...(byTitle.get(key) ?? []), s.code]);
    }
    for (const codes of byTitle.values()) {
      if (codes.length < 2) continue;
      warnings.push({
        kind: WarningKind.DUPLICATE_VISIBLE_TITLE,
        message: `${codes.join(", ")} are offered to ${label} under the same title; they cannot tell them apart.`,
        callStatusCodes: codes,
        audience,
      });
    }
  }
  return warnings;
}
