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
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];
