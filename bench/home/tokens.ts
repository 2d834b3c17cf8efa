/**
 * Token arithmetic for expected.json, written apart from src/ on purpose: the benchmark home checks
 * ccpulse, so it must not borrow ccpulse's own rules.
 */

export interface Tokens {
  input: number;
  cacheWrite: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

export const TOKEN_KEYS = ["input", "cacheWrite", "cacheWrite5m", "cacheWrite1h", "cacheRead", "output"] as const;

export const zeroTokens = (): Tokens => ({ input: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });

export function addTokens(into: Tokens, add: Tokens): Tokens {
  for (const key of TOKEN_KEYS) into[key] += add[key];
  return into;
}

/** The usage object an API response carries, as the generator chooses it. */
export interface Usage {
  readonly input: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
  readonly output: number;
  /** cache_creation.ephemeral_5m_input_tokens / ephemeral_1h_input_tokens as written; both 0 in the real captures. */
  readonly ephemeral5m: number;
  readonly ephemeral1h: number;
}

/** What one deduplicated usage adds: the 1h share is clamped to the cache-write total, the rest is 5m. */
export function usageTokens(u: Usage): Tokens {
  const oneHour = Math.min(u.ephemeral1h, u.cacheCreation);
  return {
    input: u.input,
    cacheWrite: u.cacheCreation,
    cacheWrite5m: u.cacheCreation - oneHour,
    cacheWrite1h: oneHour,
    cacheRead: u.cacheRead,
    output: u.output,
  };
}

/** The size ccusage compares when two rows of one message collide. */
export const usageSize = (u: Usage): number => u.input + u.cacheCreation + u.cacheRead + u.output;
