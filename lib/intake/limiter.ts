// Bounded intake. A burst of events (1,000 alerts naming random in-scope jobs) must not become 1,000
// ARM reads, runs and claims: past `perMinute` events a minute from one entry point, events are not
// run one by one but left to the next reconcile (the timer rediscovers every failed job in scope),
// and only the first deferred event of each minute is written to the ledger. The count is per worker
// process (in memory): with N instances the bound is N x perMinute, still independent of the burst.

export type LimitDecision = 'run' | 'defer-first' | 'defer';

export class IntakeLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {}

  take(source: string): LimitDecision {
    const now = this.clock();
    let w = this.windows.get(source);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0 };
      this.windows.set(source, w);
    }
    w.count += 1;
    if (w.count <= this.perMinute) return 'run';
    return w.count === this.perMinute + 1 ? 'defer-first' : 'defer';
  }
}

/** Events run per minute per entry point before the rest are left to the reconcile timer. */
export const INTAKE_EVENTS_PER_MINUTE = 60;
