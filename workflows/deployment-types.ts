/** Plain shapes of the deployModel workflow, shared with its activities and the API (no SDK imports). */

export interface AnalysisThresholds {
  /** Length of one analysis window at each step. */
  windowSeconds: number;
  /** Fewer canary requests than this in a window is "no data": neither pass nor fail. */
  minRequests: number;
  /** Windows to wait for enough data before the step fails for lack of it. */
  maxWindows: number;
  maxErrorRate: number;
  maxP95LatencyMs: number;
  minAccuracy: number;
}

export const DEFAULT_ANALYSIS: AnalysisThresholds = {
  windowSeconds: 30,
  minRequests: 20,
  maxWindows: 3,
  maxErrorRate: 0.05,
  maxP95LatencyMs: 250,
  minAccuracy: 0.8,
};

export const DEFAULT_STEPS = [10, 50, 100];

/** The switch event of a promoted deployment's rollback: one per deployment. */
export const rollbackSwitchKey = (deploymentId: string) => `rollback:${deploymentId}`;

export interface DeployModelInput {
  deploymentId: string;
  modelId: string;
  specialization: string;
  /** Canary weights in percent, increasing, ending at 100. */
  steps: number[];
  analysis: AnalysisThresholds;
  requireApproval: boolean;
  approvalTimeoutSeconds: number;
  /** What happens when nobody approves in time. */
  onApprovalTimeout: 'rollback' | 'promote';
  /** Once promoted, make sure a watchdog watches the specialization; absent (older inputs) means true. */
  watch?: boolean;
  /** The approver must not be the deployer (absent in inputs from before the gate policy). */
  fourEyes?: boolean;
  /** How the gate was chosen against the gate policy (absent in inputs from before it). */
  gate?: GateChoice;
  requestedBy: string;
}

/** One way a rollout's gate is weaker than its specialization's gate policy. */
export interface GateWeakening {
  /** The request's field, e.g. `analysis.maxErrorRate`. */
  field: string;
  requested: unknown;
  policy: unknown;
}

/** Who chose a rollout's gate, against which policy, and where it is weaker (each needing admin). */
export interface GateChoice {
  /** The thresholds version whose gate policy judged the request. */
  policyVersion: number;
  chosenBy: string;
  level: 'read' | 'write' | 'admin';
  weakened: GateWeakening[];
  at: string;
}

export interface StepAnalysis {
  requests: number;
  errors: number;
  errorRate: number;
  /** Of live traffic; without live traffic, of the probes (the highest of their rounds). Shown, not judged: `slow` is. */
  p95LatencyMs: number | null;
  probeAccuracy: number;
  /** Of `requests`: live canary traffic, and probes through the serving path (absent in analyses from before probes topped steps up). */
  liveRequests?: number;
  probeRequests?: number;
  /** Labelled probes answered, and how many were right. */
  labelled?: number;
  correct?: number;
  /** The evidence verdict: a step fails only on "breach". */
  verdict?: 'breach' | 'healthy' | 'inconclusive';
  /** True when the window had fewer than minRequests requests, probes included. */
  insufficientData: boolean;
  passed: boolean;
  reason: string;
}

export interface Decision {
  /** Unique within the deployment: a retried write of the same decision is recognised. */
  key: string;
  at: string;
  kind:
    | 'gate'
    | 'staged'
    | 'step-started'
    | 'step-analysis'
    | 'approval'
    | 'promoted'
    | 'watched'
    | 'undeliverable'
    | 'rolled-back'
    | 'aborted'
    | 'failed';
  step?: number;
  weight?: number;
  analysis?: StepAnalysis;
  message: string;
}

export type DeploymentStage =
  | 'staging'
  | 'rolling-out'
  | 'awaiting-approval'
  | 'promoting'
  | 'promoted'
  | 'rolling-back'
  | 'rolled-back'
  | 'aborted'
  | 'failed';

export interface DeploymentStatusView {
  stage: DeploymentStage;
  step: number | null;
  weight: number;
  decisions: Decision[];
  awaitingApprovalUntil: string | null;
}

export interface DeployModelResult {
  deploymentId: string;
  outcome: 'promoted' | 'rolled_back' | 'aborted' | 'failed';
  reason: string;
  decisions: Decision[];
}

export interface StagedModel {
  modelId: string;
  modelName: string;
  version: string;
  probeAccuracy: number;
  probeExamples: number;
  warmupMs: number;
}
