// Synthetic estates for benchmarks and load tests: N subscriptions x vaults x VMs with a failure mix.
// Deterministic for a given seed, and linear in the number of VMs (10,000 VMs in well under a second).

import { seededRandom } from './random';
import {
  FAILURE_KINDS,
  failureStory,
  healthyStory,
  vmId,
  type FailureKind,
  type RawEstate,
  type RawJob,
  type RawResourceGroup,
  type RawSubscription,
  type StoryInput,
  type VmStory,
} from './scenarios';

export interface GenerateOptions {
  subscriptions: number;
  vaultsPerSubscription: number;
  vmsPerVault: number;
  /** Fraction of VMs (0..1) whose last backup failed; the failures are dealt over every FailureKind. */
  failureRate: number;
  seed?: number;
  now?: string;
  throttling?: 'off' | 'arm';
  latencyMs?: number;
  /** Job shapes the estate serves (docs/emulator.md, "Job shapes"); the estate defaults when omitted. */
  graphJobShape?: 'conservative' | 'full';
  jobListExtendedInfo?: boolean;
}

export const GENERATED_TENANT_ID = '72f988bf-0000-4000-8000-000000000001';
const DEFAULT_NOW = '2026-11-20T06:00:00Z';
const VMS_PER_GROUP = 25;
const LOCATIONS = ['westeurope', 'northeurope', 'eastus2'];

function guidFrom(rand: () => number): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`generateEstate: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Which VMs fail and how: exactly round(total * failureRate) VMs, chosen by the seed, each given the
 * next kind in FAILURE_KINDS so that every kind appears once there are at least that many failures.
 */
function dealFailures(total: number, rate: number, rand: () => number): Map<number, FailureKind> {
  const failing = Math.round(total * rate);
  const idx = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < failing; i++) {
    const j = i + Math.floor(rand() * (total - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const chosen = idx.slice(0, failing).sort((a, b) => a - b);
  const out = new Map<number, FailureKind>();
  chosen.forEach((vmIndex, n) => out.set(vmIndex, FAILURE_KINDS[n % FAILURE_KINDS.length]!));
  return out;
}

export function generateEstate(opts: GenerateOptions): RawEstate {
  checkCount('subscriptions', opts.subscriptions, 1);
  checkCount('vaultsPerSubscription', opts.vaultsPerSubscription, 1);
  checkCount('vmsPerVault', opts.vmsPerVault, 0);
  if (!(opts.failureRate >= 0 && opts.failureRate <= 1)) throw new RangeError(`generateEstate: failureRate must be within 0..1, got ${opts.failureRate}`);
  const nowIso = opts.now ?? DEFAULT_NOW;
  const now = new Date(nowIso);
  if (Number.isNaN(now.getTime())) throw new RangeError(`generateEstate: now is not a date: ${nowIso}`);

  const rand = seededRandom(opts.seed ?? 1);
  const nextGuid = () => guidFrom(rand);
  const vmsPerSub = opts.vaultsPerSubscription * opts.vmsPerVault;
  const failures = dealFailures(opts.subscriptions * vmsPerSub, opts.failureRate, rand);

  const subscriptions: RawSubscription[] = [];
  let globalVm = 0;
  for (let s = 0; s < opts.subscriptions; s++) {
    const subId = nextGuid();
    const location = LOCATIONS[s % LOCATIONS.length]!;
    // With more than one subscription the last one carries a subscription-wide lock, so restore-point
    // cleanup meets a lock at every scope (collection, group, subscription) somewhere in the estate.
    const subLocked = opts.subscriptions > 1 && s === opts.subscriptions - 1;
    const groups: RawResourceGroup[] = [];
    const group = (name: string, locked = false): RawResourceGroup => {
      const g: RawResourceGroup = {
        name, location, tags: {}, locks: locked ? [{ name: 'protect-backups', level: 'CanNotDelete', notes: 'set by the security team' }] : [],
        virtualMachines: [], restorePointCollections: [], vaults: [],
      };
      groups.push(g);
      return g;
    };
    const backupGroup = group('rg-backup');
    const rpGroup = group(`AzureBackupRG_${location}_1`);
    let lockedRpGroup: RawResourceGroup | undefined;
    let appGroup: RawResourceGroup | undefined;

    for (let v = 0; v < opts.vaultsPerSubscription; v++) {
      const vault = { name: `rsv-${String(v + 1).padStart(3, '0')}`, protectedItems: [] as { vmId: string; policy: string }[], jobs: [] as RawJob[] };
      backupGroup.vaults.push(vault);
      for (let i = 0; i < opts.vmsPerVault; i++, globalVm++) {
        const localIndex = v * opts.vmsPerVault + i;
        if (localIndex % VMS_PER_GROUP === 0) appGroup = group(`rg-app-${String(localIndex / VMS_PER_GROUP + 1).padStart(3, '0')}`);
        const g = appGroup!;
        const name = `vm-${String(s + 1).padStart(2, '0')}-${String(localIndex + 1).padStart(5, '0')}`;
        const id = vmId(subId, g.name, name);
        const input: StoryInput = {
          id, name, os: rand() < 0.6 ? 'Windows' : 'Linux', now, nextGuid,
          collectionSuffix: String(Math.floor(rand() * 1e14)).padStart(14, '1'),
          failedMinutesAgo: 30 + Math.floor(rand() * 22 * 60),
          healthyPoints: 1 + Math.floor(rand() * 12),
        };
        const kind = failures.get(globalVm);
        const story: VmStory = kind ? failureStory(kind, input) : healthyStory(input);
        g.virtualMachines.push(story.vm);
        if (story.collectionGroup === 'locked') {
          lockedRpGroup ??= group(`AzureBackupRG_${location}_2`, true);
          lockedRpGroup.restorePointCollections.push(story.collection);
        } else {
          rpGroup.restorePointCollections.push(story.collection);
        }
        vault.protectedItems.push({ vmId: id, policy: 'DefaultPolicy' });
        vault.jobs.push(...story.jobs);
        if (i === 0) {
          // One job older than Resource Graph's 14-day window: REST lists it, the graph must not.
          const start = new Date(now.getTime() - 20 * 86_400_000);
          vault.jobs.push({
            name: nextGuid(), vmId: id, operation: 'Backup', status: 'Completed',
            startTime: start.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            endTime: new Date(start.getTime() + 1_200_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          });
        }
      }
    }
    subscriptions.push({
      id: subId,
      displayName: `sub-${String(s + 1).padStart(2, '0')}`,
      locks: subLocked ? [{ name: 'legal-hold', level: 'CanNotDelete', notes: 'litigation hold' }] : [],
      resourceGroups: groups,
    });
  }

  return {
    now: nowIso,
    tenantId: GENERATED_TENANT_ID,
    subscriptions,
    simulation: {
      latencyMs: opts.latencyMs ?? 0,
      throttling: opts.throttling ?? 'off',
      backupDurationSeconds: 0,
      faults: [],
      ...(opts.graphJobShape ? { graphJobShape: opts.graphJobShape } : {}),
      ...(opts.jobListExtendedInfo !== undefined ? { jobListExtendedInfo: opts.jobListExtendedInfo } : {}),
    },
  };
}
