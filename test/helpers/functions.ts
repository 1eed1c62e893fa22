// Runs the Functions handlers the way the host does (@azure/functions test mode: real HttpRequest and
// InvocationContext) over a runtime whose ARM is the emulator and whose storage is Azurite.

import { armContextFor } from './emulator';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { start as startEmulator, type Emulator } from '../../emulator/index';
import { DEFAULT_SETTINGS, type Settings } from '../../lib/config';
import { createLedger } from '../../lib/ledger';
import { createLogger, memorySink, type MemorySink } from '../../lib/log';
import { setRuntime, type Runtime } from '../../lib/runtime';
import { createWorkQueue } from '../../lib/storage/queue';
import { uniquePrefix, type AzuriteInstance } from './azurite';

export interface FunctionsEnv {
  emu: Emulator;
  rt: Runtime;
  logs: MemorySink;
  /** ARM requests other than token requests since the last reset. */
  armRequests(): { method: string; path: string; status: number }[];
  writes(): { method: string; path: string; status: number }[];
  stop(): Promise<void>;
}

function subscriptionsOf(estate: unknown): string[] {
  return ((estate as { subscriptions?: { id: string }[] }).subscriptions ?? []).map((s) => s.id);
}

/** Starts an emulator over `estate` and installs a runtime on it as the one the handlers use. */
export async function functionsEnv(estate: unknown, azurite: AzuriteInstance, settings: Partial<Settings> = {}): Promise<FunctionsEnv> {
  const emu = await startEmulator({ estate, port: 0 });
  const arm = armContextFor(emu);
  const prefix = uniquePrefix('fn');
  const ledger = await createLedger({ connectionString: azurite.connectionString, prefix });
  const queue = createWorkQueue({ connectionString: azurite.connectionString, name: `q${prefix.toLowerCase()}`.slice(0, 50) });
  await queue.ensure();
  const logs = memorySink();
  const rt: Runtime = {
    settings: { ...DEFAULT_SETTINGS, subscriptions: subscriptionsOf(estate), armEndpoint: emu.endpoint, ...settings },
    arm,
    ledger,
    queue,
    log: createLogger(logs, {}, () => emu.clock.now()),
    now: () => emu.clock.now(),
    verifyWait: async (ms: number) => emu.clock.advance(ms),
  };
  setRuntime(rt);
  const simplify = (r: { method: string; path: string; status: number }) => ({ method: r.method, path: r.path, status: r.status });
  return {
    emu,
    rt,
    logs,
    armRequests: () => emu.requests.all().filter((r) => r.category !== 'token').map(simplify),
    writes: () => emu.requests.writes().map(simplify),
    stop: async () => {
      setRuntime(undefined);
      await emu.stop();
    },
  };
}

export function context(functionName: string, triggerMetadata: Record<string, unknown> = {}): InvocationContext {
  // Quiet: handlers log through the runtime's logger; the context's own lines are not asserted on.
  return new InvocationContext({ functionName, triggerMetadata, logHandler: () => undefined });
}

export function post(url: string, body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: `http://localhost:7071/api/${url}`, body: { string: body }, headers: { 'content-type': 'application/json', ...headers } });
}

export function get(url: string, params: Record<string, string>): HttpRequest {
  return new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/${url}`, params });
}
