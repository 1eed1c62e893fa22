// What a Run Command of a catalogue script answered, turned into evidence: stdout and stderr out of
// the Windows or Linux result shape, the script's one JSON line validated with zod, every text
// redacted (lib/redact.ts) and clipped. Nothing the guest printed is trusted beyond its schema.
import { z } from 'zod';
import { redact, redactValue } from '../redact';
import { scriptRef, type GuestScript } from './scripts';

/** Most of any stdout/stderr kept as evidence (Azure itself keeps only the last 4096 bytes of each). */
export const OUTPUT_CLIP_CHARS = 4096;
/**
 * Text longer than this keeps only its head and tail halves before redaction (bounded work on hostile
 * output); the cut lies far inside the part the final clip drops, so no half-secret reaches evidence.
 */
const REDACT_WINDOW_CHARS = 256 * 1024;
/** The JSON line is parsed only up to this size. */
const JSON_LINE_MAX_CHARS = 64 * 1024;

export interface StatusLike {
  code?: string;
  level?: string;
  displayStatus?: string;
  message?: string;
}

export interface RawOutput {
  shape: 'windows' | 'linux' | 'unknown';
  stdout: string;
  stderr: string;
}

/**
 * Windows answers two statuses (ComponentStatus/StdOut/succeeded, ComponentStatus/StdErr/succeeded);
 * Linux one (ProvisioningState/succeeded) whose message is `Enable succeeded: \n[stdout]\n…\n[stderr]\n…`.
 */
export function splitOutput(value: readonly StatusLike[]): RawOutput {
  const byCode = (prefix: string) => value.find((s) => (s.code ?? '').toLowerCase().startsWith(prefix.toLowerCase()));
  const out = byCode('ComponentStatus/StdOut/');
  const err = byCode('ComponentStatus/StdErr/');
  if (out || err) return { shape: 'windows', stdout: out?.message ?? '', stderr: err?.message ?? '' };
  const prov = byCode('ProvisioningState/');
  const m = /\[stdout\]\n?([\s\S]*?)\n?\[stderr\]\n?([\s\S]*)$/.exec(prov?.message ?? '');
  if (prov && m) return { shape: 'linux', stdout: m[1], stderr: m[2].replace(/\n$/, '') };
  return { shape: 'unknown', stdout: value.map((s) => s.message ?? '').join('\n'), stderr: '' };
}

/** Redacted, then clipped to `max` characters (head and tail kept, the middle marked as cut). */
export function clipOutput(text: string, max = OUTPUT_CLIP_CHARS): string {
  const w = REDACT_WINDOW_CHARS / 2;
  const windowed = text.length > REDACT_WINDOW_CHARS ? `${text.slice(0, w)}\n${text.slice(-w)}` : text;
  const clean = redact(windowed);
  const dropped = windowed === text ? 0 : text.length - windowed.length + 1;
  if (clean.length <= max && dropped === 0) return clean;
  const half = Math.floor(max / 2);
  const cut = dropped + Math.max(0, clean.length - 2 * half);
  return `${clean.slice(0, half)}\n…[${cut} characters clipped]…\n${clean.slice(-half)}`;
}

const name = z.string().max(256);
const writerSchema = z.object({
  name,
  state: z.string().max(128),
  lastError: z.string().max(512).nullish(),
  service: z.string().max(128).nullish(),
});
const registrySchema = z.object({
  SnapshotMethod: z.string().max(256).nullish(),
  CalculateSnapshotTimeFromHost: z.string().max(256).nullish(),
  SnapshotWithoutThreads: z.string().max(256).nullish(),
});
const servicesSchema = z.record(name, z.string().max(64));

export const windowsDiagnosticSchema = z.object({
  script: name,
  writers: z.array(writerSchema).max(500),
  services: servicesSchema,
  registry: registrySchema,
});
export const linuxDiagnosticSchema = z.object({ script: name, services: servicesSchema });
export const fixOutputSchema = z.object({
  script: name,
  changed: z.array(z.string().max(512)).max(200),
  skipped: z.array(z.string().max(512)).max(200).optional(),
  failed: z.array(z.string().max(512)).max(200).optional(),
  notes: z.array(z.string().max(1024)).max(50).optional(),
});

export type WindowsDiagnostic = z.output<typeof windowsDiagnosticSchema>;
export type LinuxDiagnostic = z.output<typeof linuxDiagnosticSchema>;
export type FixOutput = z.output<typeof fixOutputSchema>;
export type ScriptJson = WindowsDiagnostic | LinuxDiagnostic | FixOutput;

function schemaFor(s: GuestScript): z.ZodType<ScriptJson> {
  if (s.purpose === 'fix') return fixOutputSchema;
  return s.os === 'Windows' ? windowsDiagnosticSchema : linuxDiagnosticSchema;
}

/** The last non-empty line of stdout, parsed as the script's JSON; a reason when it is not. */
export function parseScriptJson(s: GuestScript, stdout: string): { json: ScriptJson } | { problem: string } {
  const last = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).pop();
  if (!last) return { problem: 'the script printed nothing on stdout' };
  if (last.length > JSON_LINE_MAX_CHARS) return { problem: `the last line of stdout is ${last.length} characters long` };
  let raw: unknown;
  try {
    raw = JSON.parse(last);
  } catch {
    return { problem: 'the last line of stdout is not JSON' };
  }
  const parsed = schemaFor(s).safeParse(raw);
  if (!parsed.success) return { problem: `the script's JSON does not have the expected shape (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})` };
  if (parsed.data.script !== scriptRef(s)) return { problem: `the JSON names script ${parsed.data.script}, not ${scriptRef(s)}` };
  const clean = redactValue(parsed.data);
  return 'redactionFailed' in clean ? { problem: 'the JSON could not be redacted' } : { json: clean };
}

/** Evidence of one run of a catalogue script: what ran, its validated JSON (or why not), its output clipped. */
export interface ScriptEvidence {
  script: string;
  shape: RawOutput['shape'];
  output?: ScriptJson;
  problem?: string;
  stdout: string;
  stderr: string;
}

export function scriptEvidence(s: GuestScript, value: readonly StatusLike[]): ScriptEvidence {
  const raw = splitOutput(value);
  const parsed = parseScriptJson(s, raw.stdout);
  return {
    script: scriptRef(s),
    shape: raw.shape,
    ...('json' in parsed ? { output: parsed.json } : { problem: parsed.problem }),
    stdout: clipOutput(raw.stdout),
    stderr: clipOutput(raw.stderr),
  };
}
