// ARM's request budget: token buckets per subscription and principal for reads, writes and
// deletes. Buckets refill on real time, not the simulated clock, so benchmarks measure real pacing.

export type BudgetCategory = 'reads' | 'writes' | 'deletes';

export const ARM_BUDGETS: Record<BudgetCategory, { capacity: number; refillPerSecond: number }> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

interface Bucket { tokens: number; updated: number }

export interface TakeResult {
  allowed: boolean;
  remaining: number;
  /** Whole seconds until a token is available (ARM's Retry-After), when not allowed. */
  retryAfterSeconds?: number;
}

export class Throttler {
  mode: 'off' | 'arm';
  private readonly buckets = new Map<string, Bucket>();

  constructor(mode: 'off' | 'arm', private readonly now: () => number = Date.now) {
    this.mode = mode;
  }

  take(subscriptionId: string, principal: string, category: BudgetCategory): TakeResult {
    const budget = ARM_BUDGETS[category];
    // With throttling off the header still appears, as ARM always sends it; it just never drains.
    if (this.mode === 'off') return { allowed: true, remaining: budget.capacity - 1 };
    const key = `${subscriptionId.toLowerCase()}|${principal}|${category}`;
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: budget.capacity, updated: t }));
    b.tokens = Math.min(budget.capacity, b.tokens + ((t - b.updated) / 1000) * budget.refillPerSecond);
    b.updated = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens) };
    }
    const waitMs = ((1 - b.tokens) / budget.refillPerSecond) * 1000;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Empty one bucket now (tests: makes the next call deterministically meet a 429). */
  exhaust(subscriptionId: string, principal: string, category: BudgetCategory): void {
    this.buckets.set(`${subscriptionId.toLowerCase()}|${principal}|${category}`, { tokens: 0, updated: this.now() });
  }

  reset(): void {
    this.buckets.clear();
  }
}
