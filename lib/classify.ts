// Failed job -> catalogue code. Every piece of evidence is kept as a signal; the code is decided only
// when all matched signals agree, so a mixed or unknown failure stays `Unclassified` (report, no writes).
import type { AutomationClass, Classification, Signal } from './types';
import { CATALOGUE, catalogueEntry, catalogueEntryByNumber } from './catalogue';
import type { CatalogueEntry } from './catalogue';
import { isRelayCode, splitServiceText } from './catalogue/service-text';

export interface JobLike {
  errorDetails?: { errorCode?: number | string; errorTitle?: string; errorString?: string; recommendations?: string[] }[];
  extendedInfo?: { dynamicErrorMessage?: string; propertyBag?: Record<string, string>; tasksList?: unknown[] };
  alert?: { code?: string; message?: string };
}

export const UNCLASSIFIED = 'Unclassified';

const MAX_SIGNAL_VALUE = 500;
// Symbolic codes are identifier-like tokens; matching whole tokens keeps `ExtensionOperationFailed`
// from matching inside `ExtensionOperationFailedForManagedDisks`.
const TOKEN = /[A-Za-z][A-Za-z0-9_]*/g;
const NUMERIC = /^\s*\d{1,12}\s*$/;
const CODE_LIKE = /^[A-Za-z][A-Za-z0-9_]*$/;

interface Evidence {
  signal: Signal;
  /** Entries this signal is consistent with (more than one only for a documented message two codes share). */
  entries: CatalogueEntry[];
  rank: number;
  /** Advice (recommendations, trailing text) may confirm or contradict a code but never decide one alone. */
  corroborating?: boolean;
}

interface TextField {
  source: Signal['source'];
  value: string;
  /** Message text is matched only in fields that carry the service's human message. */
  messages: boolean;
  /** Set for advice fields (recommendations): their codes corroborate, never classify alone. */
  advice?: boolean;
}

function clip(s: string): string {
  return s.length > MAX_SIGNAL_VALUE ? `${s.slice(0, MAX_SIGNAL_VALUE)}…` : s;
}

function collectStrings(value: unknown, out: string[], depth = 0): void {
  if (depth > 4 || out.length > 50) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out, depth + 1);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out, depth + 1);
}

function textFields(job: JobLike): { fields: TextField[]; numbers: { value: string; n: number }[] } {
  const fields: TextField[] = [];
  const numbers: { value: string; n: number }[] = [];
  const push = (source: Signal['source'], value: unknown, messages: boolean) => {
    if (typeof value === 'string' && value.trim() !== '') fields.push({ source, value, messages });
  };
  for (const d of Array.isArray(job?.errorDetails) ? job.errorDetails : []) {
    if (!d || typeof d !== 'object') continue;
    const code = d.errorCode;
    if (typeof code === 'number' && Number.isFinite(code)) numbers.push({ value: String(code), n: code });
    else if (typeof code === 'string' && NUMERIC.test(code)) numbers.push({ value: code.trim(), n: Number(code) });
    else push('errorCode', code, false);
    push('errorTitle', d.errorTitle, true);
    push('errorString', d.errorString, true);
    for (const r of Array.isArray(d.recommendations) ? d.recommendations : []) {
      if (typeof r === 'string' && r.trim() !== '') fields.push({ source: 'recommendation', value: r, messages: false, advice: true });
    }
  }
  const info = job?.extendedInfo;
  if (info && typeof info === 'object') {
    push('dynamicErrorMessage', info.dynamicErrorMessage, true);
    if (info.propertyBag && typeof info.propertyBag === 'object') {
      for (const v of Object.values(info.propertyBag)) push('propertyBag', v, false);
    }
    const tasks: string[] = [];
    collectStrings(info.tasksList, tasks);
    for (const t of tasks) push('tasksList', t, false);
  }
  if (job?.alert && typeof job.alert === 'object') {
    push('alert', job.alert.code, false);
    push('alert', job.alert.message, true);
  }
  return { fields, numbers };
}

function codesIn(text: string): Map<string, CatalogueEntry> {
  const found = new Map<string, CatalogueEntry>();
  for (const token of text.match(TOKEN) ?? []) {
    const entry = catalogueEntry(token);
    if (entry) found.set(entry.code, entry);
  }
  return found;
}

/**
 * Catalogue codes named anywhere in the field. Codes in the message (or in front of it) classify;
 * codes only in the advice that follows it, or in a recommendations field, corroborate.
 */
function symbolicEvidence(field: TextField): Evidence[] {
  const { core, leadingCodes, trailer } = splitServiceText(field.value);
  const deciding = field.advice ? new Map<string, CatalogueEntry>() : codesIn([...leadingCodes, core].join(' '));
  const advising = codesIn(field.advice ? field.value : trailer);
  for (const code of deciding.keys()) advising.delete(code);
  const evidence = (entry: CatalogueEntry, corroborating: boolean): Evidence => ({
    signal: { source: field.source, value: clip(field.value), matched: { by: 'symbolic', code: entry.code } },
    entries: [entry],
    rank: corroborating ? 3 : 0,
    ...(corroborating ? { corroborating } : {}),
  });
  return [...[...deciding.values()].map((e) => evidence(e, false)), ...[...advising.values()].map((e) => evidence(e, true))];
}

interface MessageHit {
  entry: CatalogueEntry;
  language: string;
  start: number;
  end: number;
}

function messageEvidence(field: TextField): Evidence[] {
  // Only the message core is matched (compatibility forms folded, relay prefix and trailing advice
  // cut off): a sentence of advice that quotes another message must not become a second signal.
  const text = splitServiceText(field.value).core;
  const hits: MessageHit[] = [];
  for (const entry of CATALOGUE) {
    for (const m of entry.messages) {
      const found = m.pattern.exec(text);
      if (found) {
        hits.push({ entry, language: m.language, start: found.index, end: found.index + found[0].length });
        break;
      }
    }
  }
  // Hits on the same span are one message shared by several codes: one signal, consistent with each.
  // (Overlapping but different messages are separate signals and so conflict: patterns are built to
  // avoid that, e.g. the current agent message refuses the 2016 continuation.)
  const spans = new Map<string, MessageHit[]>();
  for (const h of hits) {
    const key = `${h.start}:${h.end}`;
    spans.set(key, [...(spans.get(key) ?? []), h]);
  }
  return [...spans.values()].map((group) => ({
    signal: {
      source: field.source,
      value: clip(field.value),
      matched: { by: 'message', code: group[0].entry.code, language: group[0].language },
    },
    entries: group.map((h) => h.entry),
    rank: 2,
  }));
}

/** A code-shaped errorCode the catalogue does not know (relay codes such as OperationNotAllowed excepted). */
function isUnknownCode(value: string): boolean {
  const v = value.trim();
  return CODE_LIKE.test(v) && !isRelayCode(v);
}

function sameOutcome(entries: CatalogueEntry[]): boolean {
  const [first, ...rest] = entries;
  return rest.every((e) => e.automation === first.automation && e.fixes.join() === first.fixes.join());
}

function unclassified(signals: Signal[], conflicting?: string[]): Classification {
  const c: Classification = { code: UNCLASSIFIED, signals, automation: 'report-only' as AutomationClass };
  if (conflicting && conflicting.length > 0) c.conflicting = conflicting;
  return c;
}

/**
 * Classifies a failed backup job (or alert) against the catalogue. Signals, strongest first: symbolic
 * codes anywhere, documented numeric codes, then documented messages in any catalogued language.
 */
export function classify(job: JobLike): Classification {
  const { evidence, unmatched, unknownCodes } = gatherEvidence(job ?? {});
  evidence.sort((a, b) => a.rank - b.rank);
  const signals = [...evidence.map((e) => e.signal), ...unmatched];
  if (!evidence.some((e) => !e.corroborating)) return unclassified(signals);
  if (unknownCodes.length > 0) {
    return unclassified(signals, [...new Set([...evidence.map((e) => e.entries[0].code), ...unknownCodes])]);
  }

  // The code must be consistent with every matched signal.
  let agreed = evidence[0].entries;
  for (const e of evidence.slice(1)) agreed = agreed.filter((entry) => e.entries.includes(entry));

  if (agreed.length === 0 || !sameOutcome(agreed)) {
    const conflicting = agreed.length === 0 ? [...new Set(evidence.map((e) => e.entries[0].code))] : agreed.map((e) => e.code);
    return unclassified(signals, conflicting);
  }
  // Several entries left only when a shared message is the sole evidence and they act alike: the
  // catalogue order names the code that owns the message.
  const entry = agreed[0];
  return { code: entry.code, signals, automation: entry.automation, docUrl: entry.docUrl };
}

/** Every field's matches, the texts nothing matched (kept for the report) and unknown symbolic codes. */
function gatherEvidence(job: JobLike): { evidence: Evidence[]; unmatched: Signal[]; unknownCodes: string[] } {
  const { fields, numbers } = textFields(job);
  const evidence: Evidence[] = [];
  const unmatched: Signal[] = [];
  // Codes the service reported that the catalogue does not know: an error of the job is not understood.
  const unknownCodes: string[] = [];
  for (const field of fields) {
    const symbolic = symbolicEvidence(field);
    const messages = field.messages ? messageEvidence(field) : [];
    evidence.push(...symbolic, ...messages);
    if (field.source === 'errorCode' && symbolic.length === 0 && isUnknownCode(field.value)) unknownCodes.push(field.value.trim());
    if (symbolic.length === 0 && messages.length === 0 && !field.advice && field.source !== 'tasksList' && field.source !== 'propertyBag') {
      unmatched.push({ source: field.source, value: clip(field.value) });
    }
  }
  // A number decides only when documented; any other number is kept as a signal and never blocks.
  for (const { value, n } of numbers) {
    const entry = catalogueEntryByNumber(n);
    if (entry) evidence.push({ signal: { source: 'errorCode', value, matched: { by: 'numeric', code: entry.code } }, entries: [entry], rank: 1 });
    else unmatched.push({ source: 'errorCode', value });
  }
  return { evidence, unmatched, unknownCodes };
}
