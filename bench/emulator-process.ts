// The bench's emulator in a child process, so the bench process measures the engine alone (its peak
// RSS, its CPU) and the emulator's 100,000-VM estate lives in its own heap. The parent talks to it over
// the fork IPC channel: reset / read the request log, advance the simulated clock, stop.

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { RequestRecord } from '../emulator/request-log';
import { startBenchEstate } from './estate';
import type { EstateOptions } from './options';

type Command = { id: number; cmd: 'reset' | 'refill' | 'records' | 'advance' | 'rss' | 'stop'; ms?: number };
type Reply = { id: number; result?: unknown; error?: string };
interface Ready { ready: true; endpoint: string; ca: string; subscriptions: string[]; now: string; rssMiB: number }

const rssMiB = () => Math.round(process.memoryUsage().rss / 1048576);

/** The child's side: serve the generated estate and answer the parent's commands. */
async function child(): Promise<void> {
  const o = JSON.parse(process.env.BENCH_ESTATE_OPTIONS ?? '{}') as EstateOptions & { graphJobShape?: 'conservative' | 'full' };
  const emu = await startBenchEstate(o);
  const send = (m: unknown) => process.send!(m);
  process.on('message', async (m: Command) => {
    try {
      let result: unknown;
      if (m.cmd === 'reset') emu.requests.reset();
      // Full token buckets, as ARM's are once a subscription has been idle for 20 s (writes refill 200 at 10/s).
      else if (m.cmd === 'refill') emu.setThrottling(emu.state.estate.simulation.throttling);
      else if (m.cmd === 'records') result = emu.requests.all().filter((r) => r.category !== 'token');
      else if (m.cmd === 'advance') { emu.clock.advance(m.ms ?? 0); result = emu.clock.now().toISOString(); }
      else if (m.cmd === 'rss') {
        const cpu = process.cpuUsage();
        result = { rssMiB: rssMiB(), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      }
      else if (m.cmd === 'stop') { await emu.stop(); send({ id: m.id }); process.exit(0); }
      send({ id: m.id, result } satisfies Reply);
    } catch (e) {
      send({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies Reply);
    }
  });
  const ready: Ready = { ready: true, endpoint: emu.endpoint, ca: emu.ca, subscriptions: emu.state.estate.subscriptions.map((s) => s.id), now: emu.clock.now().toISOString(), rssMiB: rssMiB() };
  send(ready);
}

export interface RemoteEmulator {
  endpoint: string;
  ca: string;
  subscriptions: string[];
  /** The simulated clock as last seen (it moves only when advanced). */
  now(): Date;
  advance(ms: number): Promise<void>;
  resetRequests(): Promise<void>;
  /** Fills every ARM token bucket, as 20 s without requests would. */
  refillBuckets(): Promise<void>;
  records(): Promise<RequestRecord[]>;
  /** RSS now and at peak, and CPU seconds used since the process started. */
  rss(): Promise<{ rssMiB: number; peakRssMiB: number; cpuSeconds: number }>;
  stop(): Promise<void>;
}

/** Forks the emulator process and resolves once it serves the estate. */
export function startEmulatorProcess(o: EstateOptions & { graphJobShape?: 'conservative' | 'full' }): Promise<RemoteEmulator> {
  const proc: ChildProcess = fork(path.join(__dirname, 'emulator-process.js'), [], {
    env: { ...process.env, BENCH_EMULATOR_CHILD: '1', BENCH_ESTATE_OPTIONS: JSON.stringify(o) },
    // The estate of 100,000 VMs needs more than the default old-space limit on some machines.
    execArgv: ['--max-old-space-size=4096'],
    serialization: 'advanced',
  });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const call = (cmd: Command['cmd'], ms?: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      proc.send({ id, cmd, ms } satisfies Command);
    });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench emulator process exited (${code}) before it was ready`)));
    proc.on('message', (m: Reply | Ready) => {
      if ('ready' in m) {
        let simNow = new Date(m.now);
        resolve({
          endpoint: m.endpoint,
          ca: m.ca,
          subscriptions: m.subscriptions,
          now: () => simNow,
          advance: async (ms) => void (simNow = new Date((await call('advance', ms)) as string)),
          resetRequests: async () => void (await call('reset')),
          refillBuckets: async () => void (await call('refill')),
          records: async () => (await call('records')) as RequestRecord[],
          rss: async () => (await call('rss')) as { rssMiB: number; peakRssMiB: number; cpuSeconds: number },
          stop: async () => {
            proc.removeAllListeners('exit');
            await call('stop').catch(() => undefined);
          },
        });
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
  });
}

if (require.main === module && process.env.BENCH_EMULATOR_CHILD === '1') {
  child().catch((e: unknown) => {
    process.stderr.write(`bench emulator failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
