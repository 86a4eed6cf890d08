import { ANNOUNCED_COST_PER_1K_TOKENS } from '../../config/pricing';
import { tokenize, type FeaturizerSpec } from '../../ml/features';

/** What one served request used and cost. */
export interface Usage {
  /** Tokens of the input, counted with the serving model's own tokenizer (its manifest's featurizer). */
  inputTokens: number;
  /** Tokens of the answer (the label), counted the same way. */
  outputTokens: number;
  /** Price applied: the model's registry entry (`config.costPer1kTokens`), else the price announced to RelayCore. */
  costPer1kTokens: number;
  costDollars: number;
}

/** The price a model is served at: what its registry entry declares, else the announced default. */
export const priceOf = (declared: number | null): number => declared ?? ANNOUNCED_COST_PER_1K_TOKENS;

/** Counts a request's tokens as the model saw them and prices them at the model's price. */
export function usageOf(input: string, label: string, tokenizer: FeaturizerSpec, costPer1kTokens: number): Usage {
  const inputTokens = tokenize(input, tokenizer).length;
  const outputTokens = tokenize(label, tokenizer).length;
  return {
    inputTokens,
    outputTokens,
    costPer1kTokens,
    costDollars: ((inputTokens + outputTokens) / 1_000) * costPer1kTokens,
  };
}
