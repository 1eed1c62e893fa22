// Loads a catalogue script's file and checks it is exactly the reviewed bytes before anything sends
// it. The files sit in lib/guest/scripts/ beside the sources and ship in the Function App package as
// they are (see lib/guest/scripts.ts); from dist/lib/guest the same folder is two levels further up.
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { headerLine, type GuestScript } from './scripts';

/** lib/guest/scripts from this module's folder: lib/guest (sources, ts-jest) or dist/lib/guest (built app). */
export function scriptsFolder(from = __dirname): string {
  for (const up of ['.', join('..', '..', '..', 'lib', 'guest')]) {
    const dir = join(from, up, 'scripts');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`guest scripts folder not found from ${from}`);
}

export function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const cache = new Map<string, string[]>();

/**
 * The script's lines as Run Command takes them (`script: string[]`), after checking its bytes hash to
 * the pinned sha256 and its first line is its header. Throws otherwise: a tampered or stale file is
 * never sent.
 */
export function scriptLines(s: GuestScript, folder?: string): string[] {
  const key = `${folder ?? ''}|${s.id}@${s.version}`;
  const hit = cache.get(key);
  if (hit) return [...hit];
  const bytes = readFileSync(join(folder ?? scriptsFolder(), s.file));
  const actual = sha256Of(bytes);
  if (actual !== s.sha256) throw new Error(`guest script ${s.file} does not match the reviewed ${s.id}@${s.version} (sha256 ${actual})`);
  const lines = bytes.toString('utf8').replace(/\n+$/, '').split('\n');
  if (lines[0] !== headerLine(s)) throw new Error(`guest script ${s.file} does not start with '${headerLine(s)}'`);
  cache.set(key, lines);
  return [...lines];
}
