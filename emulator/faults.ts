// Injected failures, matched in order by method and a path glob (`*` = any run of characters,
// case-insensitive). `times` counts down; `probability` draws from a seeded generator so a test
// run is reproducible.
import type { FaultSpec } from './estate';
import { seededRandom } from './random';

interface ActiveFault { spec: FaultSpec; regex: RegExp; remaining: number }

export function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 'i');
}


export class FaultInjector {
  private faults: ActiveFault[] = [];
  private readonly random: () => number;

  constructor(initial: FaultSpec[] = [], seed = 20261120) {
    this.random = seededRandom(seed);
    for (const f of initial) this.add(f);
  }

  add(spec: FaultSpec): void {
    this.faults.push({ spec, regex: globToRegExp(spec.path), remaining: spec.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault that fires for this request, consuming one of its `times`. */
  match(method: string, path: string): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!f.regex.test(path)) continue;
      if (f.spec.probability !== undefined && this.random() >= f.spec.probability) continue;
      f.remaining -= 1;
      return f.spec;
    }
    return undefined;
  }
}
