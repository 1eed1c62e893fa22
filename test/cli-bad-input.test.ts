// CLI contract edges: bad input exits 2 with a message before any request, never 1.

import { PassThrough, Writable } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';
import { validateRunReport } from './helpers/run-report-schema';
import type { RunReport } from '../lib/types';

async function cli(args: string[], answer?: string) {
  let stdout = '';
  let stderr = '';
  const emulators: Emulator[] = [];
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (answer !== undefined) {
    // A terminal that answers the confirmation.
    stdin.isTTY = true;
    stdin.write(answer);
  }
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), columns: 200 },
    // A real stream, as process.stderr is (readline writes the question to it).
    stderr: new Writable({ write: (chunk, _enc, done) => ((stderr += String(chunk)), done()) }),
    stdin,
    env: { REMEDIATION_LEDGER_PREFIX: `t${Math.random().toString(36).slice(2, 10)}` },
    onEmulator: (e) => emulators.push(e),
  };
  const code = await main(args, io);
  return { code, stdout, stderr, emulators };
}

describe('--since out of range', () => {
  it.each(['100000000d', '999999999999h', 'P9999999999D'])('--since %s → exit 2 naming the flag, nothing started', async (since) => {
    const r = await cli(['apply', '--yes', '--estate', sampleEstatePath(), '--since', since]);
    expect(r.stderr).toMatch(/^error: --since /);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.emulators).toHaveLength(0);
  });
});

describe('apply on a terminal (plan, confirm, apply)', () => {
  it('--output json: stdout is the run report alone (the plan shown before the question goes to stderr)', async () => {
    const r = await cli(['apply', '--estate', sampleEstatePath(), '-o', 'json', '-q'], 'y\n');
    expect(r.code === 0 || r.code === 3).toBe(true);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(validateRunReport(report)).toEqual({ valid: true, errors: [] });
    expect(report.mode).toBe('apply');
    expect(r.stderr).toContain('Apply ');
    expect(r.emulators[0].requests.writes().length).toBeGreaterThan(0);
  });

  it('declined: exit 4 and zero writes', async () => {
    const r = await cli(['apply', '--estate', sampleEstatePath(), '-q'], 'n\n');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('not confirmed');
    expect(r.emulators[0].requests.writes()).toEqual([]);
  });
});
