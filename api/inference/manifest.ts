import { z } from 'zod';

/** What serving needs from a model's manifest.json (trainers/CONTRACT.md); anything else is ignored. */
export const ManifestSchema = z.object({
  featurizer: z.object({
    type: z.literal('hashed-ngrams'),
    hash: z.literal('fnv1a32'),
    dim: z
      .number()
      .int()
      .positive()
      .max(1 << 20),
    ngrams: z.array(z.number().int().positive()).min(1),
    lowercase: z.boolean(),
    tokenPattern: z.string().min(1),
    normalize: z.literal('l2'),
  }),
  labels: z.array(z.string()).min(1),
  input: z.string().min(1).default('features'),
  output: z.string().min(1).default('probabilities'),
});

export type ServingManifest = z.infer<typeof ManifestSchema>;

export function parseManifest(text: string, file: string): ServingManifest {
  const parsed = ManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${[...issue.path].join('.') || 'manifest'} ${issue.message}`);
  }
  return parsed.data;
}
