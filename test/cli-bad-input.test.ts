// CLI contract edges: bad input exits 2 with a message before any request, never 1.

import { PassThrough } from 'node:stream';
import { main } from '../cli/main';
import type { CliIo } from '../cli/io';
import type { Emulator } from '../emulator/index';
import { sampleEstatePath } from '../emulator/sample';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const emulators: Emulator[] = [];
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), columns: 200 },
    stderr: { write: (s: string) => (stderr += s) },
    stdin,
    env: {},
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
