// The `$filter` grammar of the backup list APIs: `field eq 'value'` clauses joined by `and`.
// Job times use the service's 12-hour form `yyyy-MM-dd hh:mm:ss AM` (UTC). Unknown fields are
// refused with 400 rather than silently ignored, so a client sending a wrong filter finds out.

export class FilterError extends Error {}

export interface Clause { field: string; op: 'eq'; value: string }

export function parseFilter(filter: string | undefined, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (!filter || filter.trim() === '') return out;
  const known = new Map(allowed.map((f) => [f.toLowerCase(), f]));
  for (const part of filter.trim().split(/\s+and\s+/i)) {
    const m = /^\s*(\w+)\s+(\w+)\s+'([^']*)'\s*$/.exec(part);
    if (!m) throw new FilterError(`Invalid $filter clause '${part.trim()}': expected <field> eq '<value>'.`);
    const field = known.get(m[1].toLowerCase());
    if (!field) throw new FilterError(`Invalid $filter: unknown field '${m[1]}'. Supported: ${allowed.join(', ')}.`);
    if (m[2].toLowerCase() !== 'eq') throw new FilterError(`Invalid $filter: operator '${m[2]}' is not supported for '${m[1]}'; use eq.`);
    out.set(field, m[3]);
  }
  return out;
}

/** `2026-11-20 01:05:00 PM` (UTC) → epoch ms; ISO 8601 is tolerated too. */
export function parseFilterTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*([AaPp][Mm]))?$/.exec(s.trim());
  if (m) {
    let h = Number(m[4]);
    const ampm = m[7]?.toUpperCase();
    if (ampm) {
      if (h < 1 || h > 12) throw new FilterError(`Invalid time '${s}': hour must be 1-12 with AM/PM.`);
      if (ampm === 'AM' && h === 12) h = 0;
      if (ampm === 'PM' && h !== 12) h += 12;
    }
    const [y, mo, d, mi, sec] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[5]), Number(m[6])];
    const t = Date.UTC(y, mo - 1, d, h, mi, sec);
    // Date.UTC rolls impossible fields over (month 13, 30 February, minute 61): refuse them instead.
    const back = new Date(t);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== sec)
      throw new FilterError(`Invalid time '${s}': no such date or time; expected 'yyyy-MM-dd hh:mm:ss AM'.`);
    return t;
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new FilterError(`Invalid time '${s}': expected 'yyyy-MM-dd hh:mm:ss AM'.`);
  return t;
}
