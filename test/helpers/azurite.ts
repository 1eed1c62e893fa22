// Test wrapper over emulator/azurite.ts: one Azurite per test file, started in beforeAll and
// stopped in afterAll, so parallel jest workers never share ports or data.
import { startAzurite, type AzuriteInstance } from '../../emulator/azurite';

export type { AzuriteInstance };

/**
 * Registers beforeAll/afterAll hooks and returns a getter for the running instance.
 * Call at the top level of a describe block (or file).
 */
export function useAzurite(): () => AzuriteInstance {
  let instance: AzuriteInstance | undefined;
  beforeAll(async () => {
    instance = await startAzurite({ silent: true });
  }, 90000);
  afterAll(async () => {
    await instance?.stop();
    instance = undefined;
  });
  return () => {
    if (!instance) throw new Error('Azurite is not running: call useAzurite() at file/describe level and use it inside tests');
    return instance;
  };
}

/** Unique, table-name-safe prefix so tests in one file never see each other's rows. */
let counter = 0;
export function uniquePrefix(base = 't'): string {
  counter += 1;
  return `${base}${process.pid}x${counter}${Math.random().toString(36).slice(2, 6)}`.replace(/[^A-Za-z0-9]/g, '');
}
