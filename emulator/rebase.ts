// Re-basing an estate's times to the present, for the standalone emulator. An estate describes
// "the last few hours before `now`" with fixed dates; a client on the wall clock (the CLI's
// `--since 7d`, the Azure CLI's `--start-date`) sees those dates drift out of its window as the
// calendar moves. Shifting every time by one offset keeps the story intact: the estate's `now`
// (or, without one, its latest job or restore point time) becomes the moment the server starts.
//
// It works on the raw estate JSON, before validation, so that restore-point *counts* expand
// relative to the re-based `now` like everything else; values it cannot read are left as they are
// for the validator to name. Locks carry no times. A job's `extendedInfo` is served verbatim and
// is not touched.

export interface Rebased {
  /** The estate after shifting (a copy; the input is not modified). */
  estate: unknown;
  /** The estate's reference time (its `now`, else its latest time); undefined when it has none. */
  from?: Date;
  /** The moment `from` was moved to. */
  to: Date;
  /** Milliseconds added to every time (0 when the estate has no time to re-base). */
  offsetMs: number;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** Every object holding a time field, paired with the names of those fields. */
function timedObjects(estate: Json): [Json, string[]][] {
  const out: [Json, string[]][] = [];
  for (const sub of list(estate.subscriptions)) {
    for (const rg of list(sub.resourceGroups)) {
      for (const rpc of list(rg.restorePointCollections)) for (const p of list(rpc.restorePoints)) out.push([p, ['timeCreated']]);
      for (const vault of list(rg.vaults)) for (const job of list(vault.jobs)) out.push([job, ['startTime', 'endTime']]);
    }
  }
  return out;
}

/** The estate's `now`, else the latest time it holds. */
function referenceTime(estate: Json, timed: [Json, string[]][]): number | undefined {
  const now = timeOf(estate.now);
  if (now !== undefined) return now;
  let latest: number | undefined;
  for (const [obj, fields] of timed) {
    for (const f of fields) {
      const t = timeOf(obj[f]);
      if (t !== undefined && (latest === undefined || t > latest)) latest = t;
    }
  }
  return latest;
}

/** Shifts the estate's times so that its reference time becomes `to`; see the file comment. */
export function rebaseEstate(raw: unknown, to: Date): Rebased {
  if (!isObject(raw)) return { estate: raw, to, offsetMs: 0 };
  const estate = structuredClone(raw);
  const timed = timedObjects(estate);
  const from = referenceTime(estate, timed);
  if (from === undefined) return { estate, to, offsetMs: 0 };
  const offsetMs = to.getTime() - from;
  for (const [obj, fields] of timed) {
    for (const f of fields) {
      const t = timeOf(obj[f]);
      if (t !== undefined) obj[f] = new Date(t + offsetMs).toISOString();
    }
  }
  // Always set: restore-point counts expand from `now`, and the simulated clock starts there.
  estate.now = to.toISOString();
  return { estate, from: new Date(from), to, offsetMs };
}

/** `+12d 6h 50m` / `-3h 5m` / `0m`: how far the estate moved, for the one line `simulate` prints. */
export function describeOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let m = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m || (!d && !h) ? `${m}m` : ''].filter(Boolean);
  return parts.join(' ') === '0m' ? '0m' : `${sign}${parts.join(' ')}`;
}
