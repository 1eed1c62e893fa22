// The report's "Observed error codes" section: which integer errorCodes this run's failed jobs carried
// and what each was read as, so an operator learns which numbers mean what in their tenant. A number
// marked "documented" is one the catalogue may act on alone; every other number only ever rode along
// with the message that decided (lib/classify.ts).
import type { ObservedCodeSummary, RunReport } from '../types';

function line(o: ObservedCodeSummary): string {
  const doc = o.documented ? 'documented' : 'not documented: read from its message';
  const sample = o.message ? ` ("${o.message.length > 80 ? `${o.message.slice(0, 79)}…` : o.message}")` : '';
  return `${o.code} -> ${o.classification} (${doc}), ${o.count} job(s)${sample}`;
}

/** Plain-text lines for the table output; empty when the run saw no numeric code. */
export function observedCodesLines(report: RunReport): string[] {
  const observed = report.observedCodes ?? [];
  if (observed.length === 0) return [];
  return [`Observed error codes (${observed.length}):`, ...observed.map((o) => `- ${line(o)}`)];
}

/** The Markdown section; empty when the run saw no numeric code. */
export function observedCodesMarkdown(report: RunReport): string[] {
  const observed = report.observedCodes ?? [];
  if (observed.length === 0) return [];
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ');
  return [
    '### Observed error codes',
    '',
    '| Number | Read as | Documented | Jobs | Message |',
    '|---|---|---|---|---|',
    ...observed.map((o) => `| ${o.code} | ${esc(o.classification)} | ${o.documented ? 'yes' : 'no'} | ${o.count} | ${esc(o.message ?? '')} |`),
    '',
  ];
}
