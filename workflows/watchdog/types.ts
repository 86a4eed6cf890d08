/** Plain shapes of the performanceWatchdog workflow, shared with its activities and the API (no SDK imports). */
import type { ProbeSpend, Verdict, WatchdogPolicy, WatchdogState, WindowStats } from './evaluate';

export interface WatchdogInput {
  specialization: string;
  /** What the previous run handed over at continue-as-new. */
  carried?: WatchdogRunState;
  /** Continue-as-new after this many windows even when the server does not suggest it (tests). */
  maxWindowsPerRun?: number;
}

/** The routing of a specialization as the watchdog reads it. */
export interface RoutingSnapshot {
  stableDeploymentId: string | null;
  stableModelId: string | null;
  backupDeploymentId: string | null;
  failoverFromDeploymentId: string | null;
  failoverFromModelId: string | null;
}

/** One observed window of the primary. */
export interface ObservedWindow {
  /** Window end (ISO); the next window starts here. */
  until: string;
  thresholdsVersion: number;
  policy: WatchdogPolicy;
  routing: RoutingSnapshot;
  /** The primary's numbers: live requests plus probes; null when there is no primary deployment. */
  primary: { deploymentId: string; modelId: string; stats: WindowStats } | null;
}

/** An incident the API handed over: counted into the next window of the primary. */
export interface IncidentReport {
  requests: number;
  errors: number;
  reason: string;
  by: string;
}

export interface SwitchDecision {
  /** Idempotency key: the same on every retry and replay of this decision, unique across runs. */
  key: string;
  action: 'switch' | 'rollback';
  at: string;
  reason: string;
  specialization: string;
  fromDeploymentId: string;
  fromModelId: string;
  toDeploymentId: string;
  toModelId: string;
  /** The window that decided it. */
  stats: WindowStats;
  thresholdsVersion: number;
  workflowId: string;
  /** Who asked for it: "watchdog" for automatic decisions, the subject for manual rollbacks. */
  by: string;
}

export interface WindowRecord {
  at: string;
  /** Where the window ended (absent in state carried from older runs). */
  until?: string;
  deploymentId: string;
  role: 'primary-serving' | 'primary-probed';
  stats: WindowStats;
  verdict: Verdict;
  /** Streaks, serving and cooldown after this window: what a recreated watchdog resumes from. */
  state?: ResumableState;
}

/** The part of the evaluation state a recreated watchdog takes over from the recorded windows. */
export type ResumableState = Omit<WatchdogState, 'evidence'>;

/** What a watchdog started afresh resumes from (activities/watchdog/resume.ts). */
export interface ResumePoint {
  /** No switch before this (seconds since the epoch): the newest switch event plus the cooldown, or a recorded cooldown. */
  cooldownUntil: number;
  /** The newest recorded window's deployment, role and state after it, if any was recorded since the last switch. */
  last: { deploymentId: string; role: WindowRecord['role']; state: ResumableState } | null;
  /** That deployment's windows in that role since the last switch (its evidence), oldest first. */
  evidence: WindowStats[];
}

/** A webhook or RelayCore delivery the watchdog started and has not seen end: carried across continue-as-new. */
export type PendingDelivery =
  | { what: string; kind: 'alert'; alert: { alertId: string; status: 'firing' | 'resolved'; count: number } }
  | {
      what: string;
      kind: 'relaycore-route';
      route: { specialization: string; modelId: string; reason: string; idempotencyKey: string };
    };

/** Everything the watchdog carries between windows and across continue-as-new. */
export interface WatchdogRunState {
  specialization: string;
  evaluation: WatchdogState;
  /** The deployment the watchdog protects: routing's stable, or while failed over the one it left. */
  primaryDeploymentId: string | null;
  primaryModelId: string | null;
  /** While failed over: the deployment serving instead. */
  backupDeploymentId: string | null;
  backupModelId: string | null;
  /** Where the next window starts (ISO). */
  windowStart: string | null;
  /** Decisions taken so far (numbering of idempotency keys). */
  sequence: number;
  paused: boolean;
  thresholdsVersion: number | null;
  /** From the policy last read: the next window's length, probes while failed over, cooldown of manual rollbacks. */
  evaluationIntervalSeconds: number;
  minRequests: number;
  cooldownSeconds: number;
  lastEvaluatedAt: string | null;
  lastDecision: SwitchDecision | null;
  /** The newest windows, newest last (bounded). */
  recentWindows: WindowRecord[];
  pendingIncidents: IncidentReport[];
  /** Deliveries the receiver refused (4xx), newest last: what, why, when. */
  undeliverable?: { what: string; reason: string; at: string }[];
  /** The newest judged window, recorded (watchdog_windows) by the next observation. */
  unrecorded?: WindowRecord;
  /** The open "no healthy backup" condition, so it is raised once per incident. */
  noBackupSince: string | null;
  /** Extra probes sent in the last minute (the budget); absent in state carried from older runs. */
  probeSpend: ProbeSpend[];
  /** Deliveries still under way; a run that continues as new restarts them (same idempotency keys). */
  pendingDeliveries?: PendingDelivery[];
  /**
   * A rollback accepted and not yet taken by the loop. In the state, not the run's memory: one
   * accepted during a run's last window is carried over and done by the next run, not dropped.
   */
  pendingRollback?: RollbackRequest;
}

/** The `rollback` update's argument: who asks, and why. */
export interface RollbackRequest {
  by: string;
  reason: string;
}

/** What the `state` query answers. */
export type WatchdogStateView = WatchdogRunState & { workflowId: string; runId: string; serving: 'primary' | 'backup' };

/** Watchdog alerts, and `prometheus` for the platform alerts Alertmanager forwards (POST /api/v1/alerts/prometheus). */
export const ALERT_CLASSES = ['performance-degraded', 'no-healthy-backup', 'watchdog-stalled', 'prometheus'] as const;
export type AlertClass = (typeof ALERT_CLASSES)[number];

/** What one probe of a deployment measured (its rows are also recorded, with track "probe"). */
export interface ProbeResult {
  deploymentId: string;
  modelId: string;
  requests: number;
  errors: number;
  /** Latencies of the answered probes, ascending. */
  latenciesMs: number[];
  /** Answered probes (each has a known label), and how many of them were right. */
  labelled: number;
  correct: number;
  /** Share of answered probes whose label matched; null when none was answered. */
  accuracy: number | null;
  /** Tokens the answered probes were charged for, and what they cost (api/inference/usage.ts). */
  tokens: number;
  costDollars: number;
}
