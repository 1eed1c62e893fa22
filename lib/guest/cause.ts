// Whether a Windows diagnostic still shows the cause a fix script removes. Read just before the fix
// runs: a cause gone since planning (writers Stable again, services running, values set) means the
// fix is not sent. The documented values are the troubleshooting article's.
import type { ScriptJson, WindowsDiagnostic } from './output';
import type { GuestScript } from './scripts';

/** The values the snapshot-registry-set fix writes under HKLM\SOFTWARE\Microsoft\BcdrAgentPersistentKeys. */
export const SNAPSHOT_REGISTRY_VALUES = { SnapshotMethod: 'firstHostThenGuest', CalculateSnapshotTimeFromHost: 'True', SnapshotWithoutThreads: 'True' } as const;

const running = (state: string | undefined) => (state ?? '').toLowerCase() === 'running';

function isWindowsDiagnostic(j: ScriptJson | undefined): j is WindowsDiagnostic {
  return !!j && 'writers' in j && 'registry' in j;
}

/**
 * Why the diagnostic cannot say whether the fix's cause is there, when it cannot: a guest lists VSS
 * writers (System Writer at least) whenever vssadmin answers, so an empty list means vssadmin failed or
 * answered in a language the script does not read (its output is localized). "No writer is failing"
 * would then be a claim nobody saw, and the writer fix would find nothing to restart either.
 */
export function causeUnreadable(fix: GuestScript, diag: ScriptJson | undefined): string | undefined {
  if (fix.id === 'vss-restart-writer-services' && isWindowsDiagnostic(diag) && diag.writers.length === 0) {
    return 'the diagnostic listed no VSS writers at all (vssadmin failed, or answered in a language the script does not read)';
  }
  return undefined;
}

/** What the diagnostic shows of the fix's cause, in a sentence; undefined when it shows the cause gone. */
export function causeSeen(fix: GuestScript, diag: ScriptJson | undefined): string | undefined {
  if (!isWindowsDiagnostic(diag)) return 'the diagnostic gave no Windows guest state';
  switch (fix.id) {
    case 'vss-restart-writer-services': {
      const bad = diag.writers.filter((w) => w.state.toLowerCase() !== 'stable');
      return bad.length > 0 ? `VSS writers not Stable: ${bad.map((w) => `${w.name} (${w.state})`).join(', ')}` : undefined;
    }
    case 'vss-restart-service':
      return running(diag.services.VSS) ? undefined : `the VSS service is ${diag.services.VSS ?? 'not reported'}`;
    case 'complus-restart': {
      const down = ['COMSysApp', 'MSDTC'].filter((s) => !running(diag.services[s]));
      return down.length > 0 ? `not running: ${down.map((s) => `${s} (${diag.services[s] ?? 'not reported'})`).join(', ')}` : undefined;
    }
    case 'snapshot-registry-set': {
      const unset = Object.entries(SNAPSHOT_REGISTRY_VALUES).filter(([k, v]) => diag.registry[k as keyof typeof SNAPSHOT_REGISTRY_VALUES] !== v);
      return unset.length > 0 ? `snapshot registry values not set: ${unset.map(([k]) => k).join(', ')}` : undefined;
    }
    default:
      // A fix this module does not know how to judge: the cause is taken as present (the fix is the
      // reviewed, documented one for the code, and its approval already covers running it).
      return `no cause check for ${fix.id}`;
  }
}
