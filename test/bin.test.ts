// The installed command, as an operator runs it: the compiled bin in its own process (`npm test`
// builds first). In-process CLI tests cannot catch a bin that loads the CLI but never runs it.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ComputeManagementClient } from '@azure/arm-compute';
import { staticTokenCredential } from '../emulator/credential';

const root = join(__dirname, '..');
const bin = join(root, 'bin', 'backup-remediator.js');
const SUB = '11111111-1111-1111-1111-111111111111';

describe('backup-remediator bin', () => {
  it('prints its usage and exit codes', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: backup-remediator/);
    expect(r.stdout).toMatch(/plan/);
    expect(r.stdout).toMatch(/Exit codes:/);
  });

  it('refuses a malformed VM id with exit code 2 before touching anything', () => {
    const r = spawnSync(process.execPath, [bin, 'plan', '--vm', '/subscriptions/x/../y'], { encoding: 'utf8', env: { ...process.env, AzureWebJobsStorage: '' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: .*(virtual machine|GUID|\.\.)/i);
  });

  it('simulate serves the sample estate over HTTPS until killed, trusted through the CA it writes', async () => {
    const caOut = join(mkdtempSync(join(tmpdir(), 'sim-')), 'ca.pem');
    const child = spawn(process.execPath, [bin, 'simulate', '--port', '0', '--ca-out', caOut], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no "listening" line within 30 s')), 30_000);
        createInterface({ input: child.stdout! }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
        child.once('exit', (code) => reject(new Error(`simulate exited with ${code}`)));
      });
      expect(line).toMatch(/^listening https:\/\/127\.0\.0\.1:\d+$/);
      const endpoint = line.slice('listening '.length);
      const compute = new ComputeManagementClient(staticTokenCredential(), SUB, {
        endpoint,
        tlsOptions: { ca: readFileSync(caOut, 'utf8') },
      } as ConstructorParameters<typeof ComputeManagementClient>[2]);
      const vm = await compute.virtualMachines.get('rg-app', 'vm-ext-stuck');
      expect(vm.name).toBe('vm-ext-stuck');
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
