// Command-line options the benchmarks share: the shape of the generated estate and of the simulated
// ARM it runs on. Each bench adds its own options on top (`extra`), parsed the same way.

import { parseArgs } from 'node:util';

export interface EstateOptions {
  vms: number;
  vaults: number;
  subscriptions: number;
  failureRate: number;
  latencyMs: number;
  throttling: 'off' | 'arm';
  seed: number;
  json: boolean;
}

type Extra = Record<string, { default: string; min: number }>;

/**
 * Parses `--vms --vaults --subscriptions --failure-rate --latency --throttling --seed --json` plus the
 * whole-number options named in `extra`; a bad value throws with the option's name, `--help` prints
 * `usage` and exits.
 */
export function parseBenchOptions<E extends Extra>(argv: string[], usage: string, extra: E): EstateOptions & { [K in keyof E]: number } {
  const own = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { type: 'string' as const, default: v.default }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      vms: { type: 'string', default: '10000' },
      vaults: { type: 'string', default: '50' },
      subscriptions: { type: 'string', default: '5' },
      'failure-rate': { type: 'string', default: '0.05' },
      latency: { type: 'string', default: '20' },
      throttling: { type: 'string', default: 'arm' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      ...own,
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const text = values as Record<string, string | boolean | undefined>;
  const int = (name: string, min: number): number => {
    const v = String(text[name]);
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`--${name} ${JSON.stringify(v)}: expected a whole number >= ${min}`);
    return Number(v);
  };
  if (text.throttling !== 'arm' && text.throttling !== 'off') throw new Error('--throttling: expected arm or off');
  const o = {
    vms: int('vms', 1),
    vaults: int('vaults', 1),
    subscriptions: int('subscriptions', 1),
    failureRate: Number(text['failure-rate']),
    latencyMs: int('latency', 0),
    throttling: text.throttling,
    seed: int('seed', 0),
    json: text.json === true,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, int(k, v.min)])),
  } as EstateOptions & { [K in keyof E]: number };
  if (!(o.failureRate >= 0 && o.failureRate <= 1)) throw new Error('--failure-rate: expected 0..1');
  if (o.vaults % o.subscriptions !== 0) throw new Error('--vaults must be a multiple of --subscriptions');
  if (o.vms % o.vaults !== 0) throw new Error('--vms must be a multiple of --vaults');
  return o;
}
