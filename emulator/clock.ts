// The simulated clock. In-process (tests) it only moves when advanced, so a backup "taking" an
// hour costs nothing; standalone it runs at real speed from the estate's `now`. Due events (a
// backup job ending, an LRO finishing) run on advance() and before every request is handled, so a
// job whose end time has passed is never observed as still running.

export interface SimClock {
  now(): Date;
  advance(ms: number): void;
}

interface ScheduledEvent {
  at: number;
  seq: number;
  run: () => void;
}

export class SimulatedClock implements SimClock {
  private base: number;
  private readonly realStart = Date.now();
  private offset = 0;
  private seq = 0;
  private events: ScheduledEvent[] = [];

  constructor(start: Date, private readonly realTime: boolean) {
    this.base = start.getTime();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.base + this.offset + (this.realTime ? Date.now() - this.realStart : 0);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance: expected a non-negative number of ms, got ${ms}`);
    this.offset += ms;
    this.runDue();
  }

  /** Schedule `run` at simulated time `at` (ms since epoch). */
  schedule(at: number, run: () => void): void {
    this.events.push({ at, seq: this.seq++, run });
  }

  runDue(): void {
    if (this.events.length === 0) return;
    const now = this.nowMs();
    const due = this.events.filter((e) => e.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (due.length === 0) return;
    this.events = this.events.filter((e) => e.at > now);
    for (const e of due) e.run();
  }

  pending(): number {
    return this.events.length;
  }
}
