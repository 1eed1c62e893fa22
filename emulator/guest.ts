// The VM's guest as Run Command scripts see it (estate field `guest`), and what it does to a backup.
// A script is recognised only by its first line, `# backup-remediator-script: <id>@<version>` (the
// wire contract with lib/guest); each recognised script's effect lives in GUEST_SCRIPTS below and
// nowhere else. Anything else runs "successfully" and changes nothing, as an arbitrary script would
// as far as the emulator can tell.
import type { GuestSpec, VirtualMachineSpec, VssWriterSpec } from './estate';
import type { SimulatedFailure } from './error-codes';

export const SCRIPT_HEADER = /^# backup-remediator-script: ([a-z0-9-]+)@(\d+)\s*$/;

/** Services every Windows diagnostic reports, whether or not the estate names them. */
const WINDOWS_SERVICES = ['VSS', 'COMSysApp', 'MSDTC'];
const REGISTRY_VALUES = ['SnapshotMethod', 'CalculateSnapshotTimeFromHost', 'SnapshotWithoutThreads'];
/** The documented host-snapshot values (troubleshooting article, ExtensionFailedTimeoutVMNetworkUnresponsive). */
const HOST_SNAPSHOT: Record<string, string> = { SnapshotMethod: 'firstHostThenGuest', CalculateSnapshotTimeFromHost: 'True', SnapshotWithoutThreads: 'True' };

export interface ScriptOutput { stdout: string; stderr: string }

interface GuestScript {
  version: number;
  os: 'Windows' | 'Linux';
  /** Reads the guest (diagnostics) or changes it (fixes); returns what the script prints. */
  run(vm: VirtualMachineSpec, guest: GuestSpec): Record<string, unknown>;
}

function serviceState(guest: GuestSpec, name: string): 'Running' | 'Stopped' {
  return guest.services?.[name] ?? 'Running';
}

/** Start or restart a service, in the words the shipped scripts print. */
function restart(guest: GuestSpec, name: string): string {
  const was = serviceState(guest, name);
  guest.services = { ...guest.services, [name]: 'Running' };
  return `${was === 'Running' ? 'restarted' : 'started'} ${name}`;
}

const isStable = (w: VssWriterSpec) => w.state === 'Stable';

/**
 * The shipped scripts' fixed writer → service map (lib/guest/scripts/vss-restart-writer-services.ps1
 * and windows-guest-diagnose.ps1): the scripts restart and report only these services, whatever the
 * estate says hosts a writer. A writer whose estate `service` differs is not helped by the restart.
 */
export const WRITER_SERVICES: Record<string, string> = {
  SqlServerWriter: 'SQLWriter', 'System Writer': 'CryptSvc', 'WMI Writer': 'Winmgmt',
  'IIS Config Writer': 'AppHostSvc', 'IIS Metabase Writer': 'IISADMIN', 'BITS Writer': 'BITS',
  'MSSearch Service Writer': 'WSearch', 'DFS Replication service writer': 'DFSR', WIDWriter: 'WIDWriter',
  'Registry Writer': 'VSS', 'COM+ REGDB Writer': 'VSS', 'ASR Writer': 'VSS',
  'Shadow Copy Optimization Writer': 'VSS', 'VSS Metadata Store Writer': 'VSS', 'Performance Counters Writer': 'VSS',
};

function diagnoseWindows(_vm: VirtualMachineSpec, guest: GuestSpec): Record<string, unknown> {
  const writers = (guest.vssWriters ?? []).map((w) => ({ name: w.name, state: w.state, lastError: w.lastError ?? 'No error', service: WRITER_SERVICES[w.name] ?? null }));
  const services: Record<string, string> = {};
  for (const n of [...WINDOWS_SERVICES, ...writers.flatMap((w) => (w.service ? [w.service] : []))]) services[n] = serviceState(guest, n);
  const registry: Record<string, string | null> = {};
  for (const k of REGISTRY_VALUES) registry[k] = guest.registry?.[k] ?? null;
  return { writers, services, registry };
}

function diagnoseLinux(vm: VirtualMachineSpec, guest: GuestSpec): Record<string, unknown> {
  // systemd's words for the agent unit (walinuxagent on Debian/Ubuntu; the absent waagent unit is inactive).
  const agent = guest.services?.walinuxagent ?? (vm.agent.status === 'Ready' ? 'Running' : 'Stopped');
  return { services: { walinuxagent: agent === 'Running' ? 'active' : 'inactive', waagent: 'inactive' } };
}

/** Restart the mapped service of every writer not Stable; a writer hosted by it that recovers on restart becomes Stable. */
function restartWriterServices(_vm: VirtualMachineSpec, guest: GuestSpec): Record<string, unknown> {
  const unstable = (guest.vssWriters ?? []).filter((w) => !isStable(w));
  const skipped = unstable.filter((w) => !WRITER_SERVICES[w.name]).map((w) => w.name);
  const services = [...new Set(unstable.flatMap((w) => (WRITER_SERVICES[w.name] ? [WRITER_SERVICES[w.name]] : [])))];
  const changed = services.map((n) => restart(guest, n));
  for (const w of unstable)
    if (services.includes(w.service) && WRITER_SERVICES[w.name] === w.service && w.recoversOnRestart !== false) Object.assign(w, { state: 'Stable', lastError: 'No error' });
  return { changed, skipped, failed: [] };
}

function restartServices(names: string[], extra: Record<string, unknown> = {}): GuestScript['run'] {
  return (_vm, guest) => ({ changed: names.map((n) => restart(guest, n)), failed: [], ...extra });
}

/** Only values that differ are written, printed as `name=value` (as snapshot-registry-set.ps1 does). */
function setSnapshotRegistry(_vm: VirtualMachineSpec, guest: GuestSpec): Record<string, unknown> {
  const changed = Object.keys(HOST_SNAPSHOT).filter((k) => guest.registry?.[k] !== HOST_SNAPSHOT[k]);
  guest.registry = { ...guest.registry, ...HOST_SNAPSHOT };
  return { changed: changed.map((k) => `${k}=${HOST_SNAPSHOT[k]}`), failed: [] };
}

/** The catalogue of shipped scripts (ids and versions fixed by the wire contract), each with its one effect. */
export const GUEST_SCRIPTS: Record<string, GuestScript> = {
  'windows-guest-diagnose': { version: 1, os: 'Windows', run: diagnoseWindows },
  'vss-restart-writer-services': { version: 1, os: 'Windows', run: restartWriterServices },
  'vss-restart-service': { version: 1, os: 'Windows', run: restartServices(['VSS']) },
  'complus-restart': { version: 1, os: 'Windows', run: restartServices(['MSDTC', 'COMSysApp'], { notes: [] }) },
  'snapshot-registry-set': { version: 1, os: 'Windows', run: setSnapshotRegistry },
  'linux-guest-diagnose': { version: 1, os: 'Linux', run: diagnoseLinux },
};

/** The recognised script a Run Command carries, by its first line; undefined for anything else. */
export function recogniseScript(script: string[], os: VirtualMachineSpec['os']): { id: string; entry: GuestScript } | undefined {
  const m = SCRIPT_HEADER.exec(script[0] ?? '');
  if (!m) return undefined;
  const entry = GUEST_SCRIPTS[m[1]];
  if (!entry || entry.version !== Number(m[2]) || entry.os !== os) return undefined;
  return { id: m[1], entry };
}

/**
 * Run `script` in the VM's guest: a recognised script has its effect and prints one JSON line; any
 * other script prints a fixed line and changes nothing. A VM without `guest` is a healthy default
 * guest; it gets a `guest` only when a fix changes something in it.
 */
export function runGuestScript(vm: VirtualMachineSpec, script: string[]): ScriptOutput {
  const known = recogniseScript(script, vm.os);
  if (!known) return { stdout: 'script ran', stderr: '' };
  const guest = vm.guest ?? {};
  const effect = known.entry.run(vm, guest);
  if (!vm.guest && Array.isArray(effect.changed) && effect.changed.length > 0) vm.guest = guest;
  const out = { script: `${known.id}@${known.entry.version}`, ...effect };
  return { stdout: `${JSON.stringify(out)}\n`, stderr: '' };
}

/**
 * The guest cause of a backup failure, if any (checked after the agent, network and extension
 * causes). Order: the VSS service, then COM+ (VSS needs both before any writer is asked), then the
 * writers, then the snapshot timeout of a slow guest without the host-snapshot registry values.
 */
export function guestFailure(vm: VirtualMachineSpec): SimulatedFailure | undefined {
  const g = vm.guest;
  if (!g) return undefined;
  if (serviceState(g, 'VSS') === 'Stopped' && vm.os === 'Windows') return 'ExtensionFailedVssServiceInBadState';
  if (vm.os === 'Windows' && (serviceState(g, 'COMSysApp') === 'Stopped' || serviceState(g, 'MSDTC') === 'Stopped')) return 'ExtensionSnapshotFailedCOM';
  if ((g.vssWriters ?? []).some((w) => !isStable(w))) return 'ExtensionFailedVssWriterInBadState';
  const hostSnapshot = g.registry?.SnapshotMethod === HOST_SNAPSHOT.SnapshotMethod && g.registry?.CalculateSnapshotTimeFromHost === HOST_SNAPSHOT.CalculateSnapshotTimeFromHost;
  if (g.slowSnapshot && !hostSnapshot) return 'ExtensionFailedTimeoutVMNetworkUnresponsive';
  return undefined;
}
