// The catalogue of guest scripts: the only text the remediator ever sends into a VM through Run Command.
// Each script is a file of lib/guest/scripts/, reviewed against the documented fix it performs,
// versioned, and pinned here by the sha256 of its bytes: the loader (lib/guest/script-text.ts) refuses
// a file whose bytes differ, and test/guest-scripts.test.ts fails when a script changes without a new
// version. Scripts take no parameters: nothing from a job, an event or a request ever reaches them.
//
// Why the files ship as they are (not copied at build, not embedded in a .ts): .funcignore drops only
// *.ts from lib/, so lib/guest/scripts/*.ps1|*.sh are in the Function App package with no build step to
// forget (engineers and tests build with plain `tsc`), and the bytes reviewed are the bytes sent — one
// copy, hash-checked at send time. test/package.test.ts proves they are in the package and load from it.
import { catalogueEntry } from '../catalogue';
import { vmsTroubleshootDoc } from '../catalogue/patterns';

export type GuestOs = 'Windows' | 'Linux';
export type ScriptPurpose = 'diagnostic' | 'fix';

export interface GuestScript {
  id: string;
  /** Bumped whenever the file changes (with a new pinned sha256). */
  version: number;
  os: GuestOs;
  purpose: ScriptPurpose;
  /** The Run Command that runs it: PowerShell on Windows, sh on Linux. */
  commandId: 'RunPowerShellScript' | 'RunShellScript';
  /** File name under lib/guest/scripts/. */
  file: string;
  title: string;
  /** What it changes in the guest ('nothing' for a diagnostic). */
  changes: string;
  docUrl: string;
  /** Catalogue codes whose documented fix it performs (a diagnostic: the codes it gathers evidence for). */
  codes: readonly string[];
  /** The diagnostic run before a fix, whose output says whether the cause is still present. */
  diagnostic?: string;
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
}

const VSS_WRITER_DOC = vmsTroubleshootDoc('ExtensionFailedVssWriterInBadState - Snapshot operation failed because VSS writers were in a bad state');
const VSS_SERVICE_DOC = vmsTroubleshootDoc('ExtensionFailedVssServiceInBadState - Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state');
const COM_PLUS_DOC = vmsTroubleshootDoc('ExtensionSnapshotFailedCOM / ExtensionInstallationFailedCOM / ExtensionInstallationFailedMDTC - Extension installation/operation failed due to a COM+ error');
const TIMEOUT_DOC = vmsTroubleshootDoc('ExtensionFailedTimeoutVMNetworkUnresponsive - Snapshot operation failed due to inadequate VM resources');

// The agent article's section on an unresponsive agent (the catalogue's own link for the code).
const AGENT_DOC = catalogueEntry('UserErrorGuestAgentStatusUnavailable')?.docUrl ?? vmsTroubleshootDoc('UserErrorGuestAgentStatusUnavailable');

const WRITER_CODES = ['ExtensionFailedVssWriterInBadState'] as const;
const SERVICE_CODES = ['ExtensionFailedVssServiceInBadState'] as const;
const COM_PLUS_CODES = ['ExtensionSnapshotFailedCOM', 'ExtensionInstallationFailedCOM', 'ExtensionInstallationFailedMDTC'] as const;
const TIMEOUT_CODES = ['ExtensionFailedTimeoutVMNetworkUnresponsive'] as const;

export const WINDOWS_DIAGNOSTIC = 'windows-guest-diagnose';

export const GUEST_SCRIPTS: readonly GuestScript[] = Object.freeze([
  {
    id: WINDOWS_DIAGNOSTIC, version: 1, os: 'Windows', purpose: 'diagnostic', commandId: 'RunPowerShellScript', file: 'windows-guest-diagnose.ps1',
    title: 'List VSS writers and their states, the VSS/COM+/MSDTC services and the snapshot registry values',
    changes: 'nothing (read-only)', docUrl: VSS_WRITER_DOC,
    codes: [...WRITER_CODES, ...SERVICE_CODES, ...COM_PLUS_CODES, ...TIMEOUT_CODES],
    sha256: 'f1de870512b02f1ec854b063cc0a184117ca8d413f560059881ca5a83efd895f',
  },
  {
    id: 'vss-restart-writer-services', version: 1, os: 'Windows', purpose: 'fix', commandId: 'RunPowerShellScript', file: 'vss-restart-writer-services.ps1',
    title: 'Restart the service of every VSS writer not in state [1] Stable (fixed writer-to-service map)',
    changes: 'restarts the services of unstable VSS writers (and their running dependents)', docUrl: VSS_WRITER_DOC,
    codes: WRITER_CODES, diagnostic: WINDOWS_DIAGNOSTIC,
    sha256: '1121ccd502d9bdda23d373b7c83f39ef7da9ce3cb641be7b06c313963e11c20c',
  },
  {
    id: 'vss-restart-service', version: 1, os: 'Windows', purpose: 'fix', commandId: 'RunPowerShellScript', file: 'vss-restart-service.ps1',
    title: 'Restart the Volume Shadow Copy (VSS) service',
    changes: 'restarts (or starts) the VSS service', docUrl: VSS_SERVICE_DOC,
    codes: SERVICE_CODES, diagnostic: WINDOWS_DIAGNOSTIC,
    sha256: '0d6b9fed5ef6fe0bb5da6ae68a38d321785d5ea91d06e28788efd91d38273486',
  },
  {
    id: 'complus-restart', version: 1, os: 'Windows', purpose: 'fix', commandId: 'RunPowerShellScript', file: 'complus-restart.ps1',
    title: 'Restart MSDTC and the COM+ System Application (COMSysApp)',
    changes: 'restarts (or starts) the MSDTC and COMSysApp services; never changes their accounts', docUrl: COM_PLUS_DOC,
    codes: COM_PLUS_CODES, diagnostic: WINDOWS_DIAGNOSTIC,
    sha256: 'f486851435eb6336c9f78261b704fb4d1d2536cf7c3b323754028e08916a4f8c',
  },
  {
    id: 'snapshot-registry-set', version: 1, os: 'Windows', purpose: 'fix', commandId: 'RunPowerShellScript', file: 'snapshot-registry-set.ps1',
    title: 'Take snapshots through the host: SnapshotMethod=firstHostThenGuest, CalculateSnapshotTimeFromHost=True, SnapshotWithoutThreads=True',
    changes: 'sets three REG_SZ values under HKLM\\SOFTWARE\\Microsoft\\BcdrAgentPersistentKeys', docUrl: TIMEOUT_DOC,
    codes: TIMEOUT_CODES, diagnostic: WINDOWS_DIAGNOSTIC,
    sha256: '2e088b62809c506c15d292a634e71c9e0f7e7408636135db3b2c1e8a06a37c52',
  },
  {
    id: 'linux-guest-diagnose', version: 1, os: 'Linux', purpose: 'diagnostic', commandId: 'RunShellScript', file: 'linux-guest-diagnose.sh',
    title: 'State of the Azure Linux agent service (walinuxagent / waagent)',
    changes: 'nothing (read-only)', docUrl: AGENT_DOC,
    codes: [],
    sha256: 'a9fa384c6f573e13cdf79ffbfac9bd1c6b59bfd435a8b441ba4f967b526748b9',
  },
] satisfies GuestScript[]);

/** `<id>@<version>`: how a script is named on the wire (its header line) and in evidence. */
export function scriptRef(s: Pick<GuestScript, 'id' | 'version'>): string {
  return `${s.id}@${s.version}`;
}

/** The first line of every script, the only thing the emulator (and a reviewer) identifies it by. */
export function headerLine(s: Pick<GuestScript, 'id' | 'version'>): string {
  return `# backup-remediator-script: ${scriptRef(s)}`;
}

export function guestScript(id: string, version?: number): GuestScript | undefined {
  return GUEST_SCRIPTS.find((s) => s.id === id && (version === undefined || s.version === version));
}

/** The fix script for a failure code on an OS, if the catalogue has one. */
export function fixScriptFor(code: string, os: GuestOs | undefined): GuestScript | undefined {
  const c = code.toLowerCase();
  return GUEST_SCRIPTS.find((s) => s.purpose === 'fix' && s.os === os && s.codes.some((x) => x.toLowerCase() === c));
}

/** Codes some fix script addresses (on any OS): the only values REMEDIATION_GUEST_FIX_CODES accepts. */
export const GUEST_FIX_CODES: readonly string[] = Object.freeze([...new Set(GUEST_SCRIPTS.filter((s) => s.purpose === 'fix').flatMap((s) => s.codes))]);
