import type { RetryPolicy } from '@temporalio/common';

/**
 * Business failure types: activities throw ApplicationFailure.nonRetryable(message, type) with one
 * of these, and the API maps them to statuses. Anything else is transient and retried.
 */
export const FailureType = {
  ModelNotFound: 'ModelNotFound',
  InvalidArtifact: 'InvalidArtifact',
  InvalidDataset: 'InvalidDataset',
  InvalidTrainingInput: 'InvalidTrainingInput',
  TrainingFailed: 'TrainingFailed',
  TrainingJobNotFound: 'TrainingJobNotFound',
  /** RelayCore answered 4xx: the call itself is wrong, retrying it cannot help. */
  RelayCoreRejected: 'RelayCoreRejected',
  ModelStagingFailed: 'ModelStagingFailed',
  /** The alert webhook answered 4xx. */
  AlertWebhookRejected: 'AlertWebhookRejected',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/**
 * Retry policy for the RelayCore activities (activities/relaycore.ts): an outage delays a call,
 * never loses it — no maximumAttempts, backoff capped at a minute; only a 4xx stops it. Defined
 * here, beside its failure type, because workflows may import this module but not activities/.
 */
export const RELAYCORE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: [FailureType.RelayCoreRejected],
};

/** Deliveries of the watchdog (RelayCore routes, alert webhook): retried alike, stopped only by a 4xx. */
export const DELIVERY_RETRY: RetryPolicy = {
  ...RELAYCORE_RETRY,
  nonRetryableErrorTypes: [FailureType.RelayCoreRejected, FailureType.AlertWebhookRejected],
};
