/**
 * A seeded simulator of one specialization's primary, window by window, through the watchdog's own
 * evaluation (the same `step` as the workflow): live traffic, labelled probes topped up to the
 * minimum, failover and recovery. Days of 5 s windows run in seconds, so false switches per month
 * and detection delays are measured, not guessed. Pure: same seed, same result.
 */
import {
  extraProbesFor,
  initialState,
  MAX_PROBE_ROUNDS_PER_WINDOW,
  step,
  withProbes,
  type StepDecision,
  type ProbeSpend,
  type Verdict,
  type WatchdogPolicy,
  type WatchdogState,
  type WindowStats,
} from './evaluate';
import { percentile95 } from './evidence';
import { stepPoint } from './point-estimate';
import {
  CANARY_PROBE_ROUNDS,
  canaryExtraProbes,
  canaryProbesNeeded,
  judgeCanaryStep,
  type CanaryConfidence,
} from '../canary-judgement';
import type { AnalysisThresholds, StepAnalysis } from '../deployment-types';

// Bound once: hot loops inside a vm context (Jest) pay for every global lookup.
const { PI, cos, exp, imul, log, max, sqrt } = Math;

/** How the primary behaves. */
export interface Regime {
  /** Mean live requests per window (Poisson). */
  liveRequests: number;
  errorRate: number;
  /** Share of labelled probes answered right. */
  accuracy: number;
  /** The p95 of the latency distribution (log-normal). */
  p95Ms: number;
}

export interface Scenario {
  name: string;
  seconds: number;
  before: Regime;
  /** The regime from `onsetSeconds` on. */
  after?: Regime;
  onsetSeconds?: number;
}

export interface SimulationOptions {
  seed: number;
  policy: WatchdogPolicy;
  judge: 'evidence' | 'point-estimate';
  /** Send extra probes when the evidence asks for them (the live watchdog does; a backtest cannot). */
  extraProbes: boolean;
  /** Labelled probes per window while the primary serves. */
  servingProbes?: number;
  /** Sees every window as judged (for tracing a run). */
  onWindow?: (t: number, window: WindowStats, verdict: Verdict, state: WatchdogState) => void;
}

export interface SimulationResult {
  windows: number;
  switches: number;
  switchBacks: number;
  /** Switches before the onset (or in a scenario without one): each is a false failover. */
  falseSwitches: number;
  /** Seconds from the onset to the first switch after it; null when it never switched. */
  detectionSeconds: number | null;
  probesSent: number;
  decisions: StepDecision[];
}

export const HEALTHY: Regime = { liveRequests: 40, errorRate: 0.01, accuracy: 0.867, p95Ms: 60 };

/** mulberry32: small, fast, good enough for simulation, and the same everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Latency spread: log-normal with this sigma, so p95 = median · e^(1.645 σ). */
const LATENCY_SIGMA = 0.35;

class Draw {
  constructor(private readonly random: () => number) {}

  poisson(mean: number): number {
    const limit = exp(-mean);
    let k = 0;
    let p = this.random();
    while (p > limit) {
      k++;
      p *= this.random();
    }
    return k;
  }

  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.random() < p) k++;
    return k;
  }

  latency(p95Ms: number): number {
    const u = max(this.random(), 1e-12);
    const normal = sqrt(-2 * log(u)) * cos(2 * PI * this.random());
    return (p95Ms / exp(1.645 * LATENCY_SIGMA)) * exp(LATENCY_SIGMA * normal);
  }
}

/** `requests` requests of a regime, `labelled` of them probes with a known answer. */
function drawRequests(
  draw: Draw,
  regime: Regime,
  requests: number,
  labelled: number,
  thresholdMs: number,
): WindowStats {
  const latencies: number[] = [];
  let errors = 0;
  let slow = 0;
  let answeredLabels = 0;
  for (let i = 0; i < requests; i++) {
    if (draw.binomial(1, regime.errorRate)) {
      errors++;
      continue;
    }
    const ms = draw.latency(regime.p95Ms);
    latencies.push(ms);
    if (ms > thresholdMs) slow++;
    if (i < labelled) answeredLabels++;
  }
  const correct = draw.binomial(answeredLabels, regime.accuracy);
  return {
    requests,
    errors,
    slow,
    p95LatencyMs: percentile95(latencies.sort((a, b) => a - b)),
    labelled: answeredLabels,
    correct,
    accuracy: answeredLabels ? correct / answeredLabels : null,
    costPer1kTokens: null,
  };
}

/**
 * One window as the watchdog observes it: while the primary serves, its live traffic plus
 * `servingProbes` labelled probes, probes topping the traffic up to minRequests when live traffic
 * is short; while failed over, minRequests probes.
 */
function observeWindow(
  draw: Draw,
  regime: Regime,
  state: WatchdogState,
  policy: WatchdogPolicy,
  servingProbes: number,
): WindowStats {
  const threshold = policy.thresholds.p95LatencyMs;
  if (state.serving === 'backup') return drawRequests(draw, regime, policy.minRequests, policy.minRequests, threshold);
  const live = draw.poisson(regime.liveRequests);
  const probes = max(servingProbes, policy.minRequests - live);
  if (live >= policy.minRequests) {
    // Probes add labels only: their latencies and errors belong to a later moment than the live window.
    const liveWindow = drawRequests(draw, regime, live, 0, threshold);
    const probed = drawRequests(draw, regime, probes, probes, threshold);
    return { ...liveWindow, labelled: probed.labelled, correct: probed.correct, accuracy: probed.accuracy };
  }
  return drawRequests(draw, regime, live + probes, probes, threshold);
}

export function simulate(scenario: Scenario, options: SimulationOptions): SimulationResult {
  const { policy } = options;
  const draw = new Draw(seededRandom(options.seed));
  const interval = policy.evaluationIntervalSeconds;
  const onset = scenario.after ? (scenario.onsetSeconds ?? 0) : Infinity;
  let state = initialState();
  const spent: ProbeSpend[] = [];
  const decisions: StepDecision[] = [];
  let probesSent = 0;
  let windows = 0;
  for (let t = interval; t <= scenario.seconds; t += interval, windows++) {
    const regime = t > onset && scenario.after ? scenario.after : scenario.before;
    let window = observeWindow(draw, regime, state, policy, options.servingProbes ?? 5);
    if (options.judge === 'evidence' && options.extraProbes) {
      for (let round = 0; round < MAX_PROBE_ROUNDS_PER_WINDOW; round++) {
        const wanted = extraProbesFor(state, window, t, policy, spent);
        if (!wanted) break;
        spent.push({ t, probes: wanted });
        probesSent += wanted;
        window = withProbes(window, drawRequests(draw, regime, wanted, wanted, policy.thresholds.p95LatencyMs));
      }
    }
    const result = options.judge === 'evidence' ? step(state, window, t, policy) : stepPoint(state, window, t, policy);
    state = result.state;
    options.onWindow?.(t, window, result.verdict, state);
    if (result.decision) decisions.push(result.decision);
    while (spent.length && spent[0].t <= t - 60) spent.shift();
  }
  const switches = decisions.filter((d) => d.action === 'switch');
  const firstAfter = switches.find((d) => d.t > onset);
  return {
    windows,
    switches: switches.length,
    switchBacks: decisions.length - switches.length,
    falseSwitches: switches.filter((d) => d.t <= onset).length,
    detectionSeconds: firstAfter ? firstAfter.t - onset : null,
    probesSent,
    decisions,
  };
}

export interface RolloutOptions {
  seed: number;
  /** Canary weights in percent. */
  steps: number[];
  /** Live requests per second to the specialization (the canary gets its weight's share). */
  liveRequestsPerSecond: number;
  analysis: AnalysisThresholds;
  confidence: CanaryConfidence;
}

/**
 * One simulated rollout: at each step the canary's share of live traffic over one analysis window,
 * topped up with labelled probes and extra rounds as the analysis activity does, judged by the same
 * `judgeCanaryStep`. Ends at the first failed step.
 */
export function simulateRollout(
  regime: Regime,
  options: RolloutOptions,
): { outcome: 'promoted' | 'rolled_back'; steps: StepAnalysis[] } {
  const draw = new Draw(seededRandom(options.seed));
  const { analysis, confidence } = options;
  const slowerThan = analysis.maxP95LatencyMs;
  const steps: StepAnalysis[] = [];
  for (const weight of options.steps) {
    const live = drawRequests(
      draw,
      regime,
      draw.poisson((options.liveRequestsPerSecond * analysis.windowSeconds * weight) / 100),
      0,
      slowerThan,
    );
    const needed = canaryProbesNeeded(live, analysis, confidence);
    let evidence: WindowStats = needed
      ? withProbes(live, drawRequests(draw, regime, needed, needed, slowerThan))
      : live;
    for (let round = 0; round < CANARY_PROBE_ROUNDS; round++) {
      const wanted = canaryExtraProbes(evidence, analysis, confidence);
      if (!wanted) break;
      evidence = withProbes(evidence, drawRequests(draw, regime, wanted, wanted, slowerThan));
    }
    const step = judgeCanaryStep(evidence, live, analysis, confidence);
    steps.push(step);
    if (!step.passed) return { outcome: 'rolled_back', steps };
  }
  return { outcome: 'promoted', steps };
}
