// The host configuration and the code agree: what the queue handler treats as the last delivery is
// what host.json makes the last delivery, and the package entry point registers every trigger.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../lib/config';
import { MAX_DEQUEUE_COUNT } from '../lib/service';

const root = join(__dirname, '..');
const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('host.json and package.json', () => {
  it('uses extension bundle v4 and a timeout that outlasts the worst inline timer run with default settings', () => {
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    const [h, m] = String(host.functionTimeout).split(':').map(Number);
    const timeoutMs = (h! * 60 + m!) * 60_000;
    // Inline, the timer verifies up to REMEDIATION_INLINE_MAX_VMS backups, REMEDIATION_CONCURRENCY at
    // a time, each for up to REMEDIATION_VERIFY_TIMEOUT; discovery and writes need room on top.
    const waves = Math.ceil(DEFAULT_SETTINGS.inlineMaxVms / DEFAULT_SETTINGS.concurrency);
    expect(timeoutMs).toBeGreaterThanOrEqual(waves * DEFAULT_SETTINGS.verifyTimeoutMs + 10 * 60_000);
  });

  it('poisons a queue message after exactly the delivery the handler records as final', () => {
    expect(host.extensions.queues.maxDequeueCount).toBe(MAX_DEQUEUE_COUNT);
    expect(host.extensions.queues.batchSize).toBeGreaterThanOrEqual(1);
  });

  it('points main at the compiled entry that imports every trigger', () => {
    expect(pkg.main).toBe('dist/functions/index.js');
    const index = readFileSync(join(root, 'functions/index.ts'), 'utf8');
    for (const f of ['timer', 'event-grid', 'alert-webhook', 'http', 'queue']) expect(index).toContain(`import './${f}'`);
  });
});
