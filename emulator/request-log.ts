// Every request the emulator answered, so tests and benchmarks count ARM calls by kind.

export interface RequestRecord {
  method: string;
  /** Decoded path without query. */
  path: string;
  query: string;
  status: number;
  durationMs: number;
  category: 'read' | 'write' | 'delete' | 'token' | 'graph';
  principal?: string;
  throttled: boolean;
  faulted: boolean;
  /** The request took effect but its answer was dropped (a `lost-response` fault); `status` is what it would have answered. */
  lostResponse?: boolean;
  /** Wall-clock time the request arrived (ISO 8601). */
  at: string;
}

export interface RequestLog {
  all(): RequestRecord[];
  reset(): void;
  /** ARM PUT/PATCH/POST/DELETE that change state; excludes token requests and Resource Graph queries. */
  writes(): RequestRecord[];
}

export class MemoryRequestLog implements RequestLog {
  private records: RequestRecord[] = [];

  push(r: RequestRecord): void {
    this.records.push(r);
  }
  all(): RequestRecord[] {
    return this.records.slice();
  }
  reset(): void {
    this.records = [];
  }
  writes(): RequestRecord[] {
    return this.records.filter((r) => r.category === 'write' || r.category === 'delete');
  }
}
