import { z } from 'zod';

/** Hyperparameters both trainers accept; the API validates them before a job starts. */
export const HyperparametersSchema = z.strictObject({
  epochs: z.number().int().min(1).max(1000).default(8),
  learningRate: z.number().gt(0).max(10).default(5),
  batchSize: z.number().int().min(1).max(4096).default(16),
  seed: z.number().int().min(0).max(2_147_483_647).default(42),
  hiddenUnits: z.number().int().min(0).max(4096).default(0),
  l2: z.number().min(0).max(1).default(0.0001),
});

export type ResolvedHyperparameters = z.output<typeof HyperparametersSchema>;
