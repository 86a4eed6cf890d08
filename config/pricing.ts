/**
 * The price per 1,000 tokens NeuroWeaver announces to RelayCore for its specializations (seed 000),
 * and puts on inference spans as `ai.cost`. One number shared by the worker (which announces it) and
 * the API (which serves the requests it prices).
 */
export const ANNOUNCED_COST_PER_1K_TOKENS = 0.002;
