// The failure kinds a simulated estate can show, as small edits to a healthy VM and its backup history.
// Shared by the synthetic generator (generate.ts) and the hand-named sample estate, so both speak the
// same failure vocabulary the catalogue and the engine handle.

/** Raw estate JSON (before validation): restore points may be a count, as the file format allows. */
export interface RawLock { name: string; level: 'CanNotDelete' | 'ReadOnly'; notes?: string }
export interface RawExtension { name: string; publisher: string; type: string; provisioningState: string; typeHandlerVersion?: string }
export interface RawVm {
  name: string;
  os: 'Windows' | 'Linux';
  powerState: string;
  provisioningState: string;
  agent: { status: 'Ready' | 'NotReady'; version: string };
  outboundConnectivity: boolean;
  tags: Record<string, string>;
  locks: RawLock[];
  extensions: RawExtension[];
}
export interface RawCollection { name: string; sourceVmId: string; restorePoints: number | { name: string; timeCreated: string }[]; locks: RawLock[] }
export interface RawErrorDetail { errorCode?: number | string; errorTitle?: string; errorString?: string; recommendations?: string[] }
export interface RawJob {
  name: string;
  vmId: string;
  operation: string;
  status: string;
  startTime: string;
  endTime?: string;
  errorDetails?: RawErrorDetail[];
  extendedInfo?: Record<string, unknown>;
  /** The VM was deleted while protected (the validator then accepts a dangling vmId). */
  vmDeleted?: boolean;
}
export interface RawVault { name: string; protectedItems: { vmId: string; policy: string; vmDeleted?: boolean }[]; jobs: RawJob[] }
export interface RawResourceGroup {
  name: string;
  location: string;
  tags: Record<string, string>;
  locks: RawLock[];
  virtualMachines: RawVm[];
  restorePointCollections: RawCollection[];
  vaults: RawVault[];
}
export interface RawSubscription { id: string; displayName: string; locks: RawLock[]; resourceGroups: RawResourceGroup[] }
export interface RawEstate {
  now: string;
  tenantId?: string;
  subscriptions: RawSubscription[];
  simulation: {
    latencyMs: number | { min: number; max: number };
    throttling: 'off' | 'arm';
    backupDurationSeconds: number;
    faults: unknown[];
    graphJobShape?: 'conservative' | 'full';
    jobListExtendedInfo?: boolean;
  };
}

export const MAX_RESTORE_POINTS = 18;

export type FailureKind =
  | 'extension-failed'
  | 'extension-failed-legacy-code'
  | 'extension-failed-no-network'
  | 'rp-limit'
  | 'rp-limit-locked-collection'
  | 'rp-limit-locked-group'
  | 'agent-not-ready'
  | 'no-network'
  | 'internal-error'
  | 'backup-in-progress'
  | 'recovered'
  | 'localized-cs'
  | 'localized-ru'
  | 'localized-pt'
  | 'localized-zh'
  | 'message-2016'
  | 'numeric-only'
  | 'unknown-code'
  | 'report-only'
  | 'opted-out';

/** Every kind, in the order the generator deals them out so small estates still see each one. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'extension-failed', 'rp-limit', 'rp-limit-locked-collection', 'rp-limit-locked-group', 'agent-not-ready',
  'no-network', 'internal-error', 'backup-in-progress', 'recovered', 'localized-cs', 'localized-ru', 'localized-pt',
  'localized-zh', 'message-2016', 'numeric-only', 'unknown-code', 'report-only', 'opted-out',
  'extension-failed-legacy-code', 'extension-failed-no-network',
];

// English messages as the service words them; the localized ones are the seed articles' own phrasing.
export const MESSAGES = {
  extensionFailed: 'VMSnapshot extension operation failed',
  rpLimit: 'The Restore Point collection max limit has reached.',
  agentUnavailable: 'VM Agent unable to communicate with Azure Backup',
  noNetwork: 'Snapshot operation failed due to no network connectivity on the virtual machine',
  internal: 'Backup failed with an internal error - Please retry the operation in a few minutes',
  inProgress: 'Unable to initiate backup as another backup operation is currently in progress',
  vmOffline: 'Installation of Microsoft Recovery Services extension failed as virtual machine is not running',
  keyVault: "Backup doesn't have sufficient permissions on the key vault for backup of encrypted VMs",
  unknown: 'The operation failed for a reason Azure Backup did not describe',
  message2016: 'Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out',
  cs: 'Agent virtuálního počítače moci komunikovat se službou Azure Backup',
  ru: 'Сбой в ходе работы расширения VMSnapshot',
  pt: 'A operação falhou devido a sem conectividade de rede na máquina virtual de instantâneos',
  zh: '備份因為內部錯誤而失敗 - 請在幾分鐘內重試此作業',
} as const;

export const OPT_OUT_TAG = { name: 'backup-remediation', value: 'off' } as const;

export function vmId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export function healthyVm(name: string, os: 'Windows' | 'Linux'): RawVm {
  return {
    name,
    os,
    powerState: 'running',
    provisioningState: 'Succeeded',
    agent: { status: 'Ready', version: os === 'Windows' ? '2.7.41491.1102' : '2.9.1.1' },
    outboundConnectivity: true,
    tags: {},
    locks: [],
    extensions: [snapshotExtension(os, 'Succeeded')],
  };
}

export function snapshotExtension(os: 'Windows' | 'Linux', provisioningState: string): RawExtension {
  const type = os === 'Windows' ? 'VMSnapshot' : 'VMSnapshotLinux';
  return { name: type, publisher: 'Microsoft.Azure.RecoveryServices', type, provisioningState, typeHandlerVersion: '1.0' };
}

/** Everything one VM contributes to an estate, before it is placed into resource groups and a vault. */
export interface VmStory {
  vm: RawVm;
  collection: RawCollection;
  /** Where the collection lives: the VM's group or the locked AzureBackupRG variant. */
  collectionGroup: 'default' | 'locked';
  jobs: RawJob[];
}

export interface StoryInput {
  id: string;
  name: string;
  os: 'Windows' | 'Linux';
  now: Date;
  /** Deterministic job names and digits come from here. */
  nextGuid: () => string;
  collectionSuffix: string;
  /** Minutes before `now` the failed job started (kept inside the last 24 h). */
  failedMinutesAgo: number;
  /** Restore points a healthy VM holds (below the limit). */
  healthyPoints: number;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const minutesBefore = (now: Date, m: number) => new Date(now.getTime() - m * 60_000);

function failedJob(input: StoryInput, details: RawErrorDetail[], durationMin = 25): RawJob {
  const start = minutesBefore(input.now, input.failedMinutesAgo);
  return {
    name: input.nextGuid(),
    vmId: input.id,
    operation: 'Backup',
    status: 'Failed',
    startTime: iso(start),
    endTime: iso(new Date(start.getTime() + durationMin * 60_000)),
    errorDetails: details,
  };
}

function completedJob(input: StoryInput, minutesAgo: number): RawJob {
  const start = minutesBefore(input.now, minutesAgo);
  return {
    name: input.nextGuid(),
    vmId: input.id,
    operation: 'Backup',
    status: 'Completed',
    startTime: iso(start),
    endTime: iso(new Date(start.getTime() + 20 * 60_000)),
  };
}

const detail = (errorCode: number | string | undefined, errorString: string, recommendations: string[] = []): RawErrorDetail => {
  const d: RawErrorDetail = { errorTitle: '', errorString, recommendations };
  if (errorCode !== undefined) d.errorCode = errorCode;
  return d;
};

/** A healthy VM: a completed backup in the last day and a collection below the limit. */
export function healthyStory(input: StoryInput): VmStory {
  return {
    vm: healthyVm(input.name, input.os),
    collection: { name: `AzureBackup_${input.name}_${input.collectionSuffix}`, sourceVmId: input.id, restorePoints: input.healthyPoints, locks: [] },
    collectionGroup: 'default',
    jobs: [completedJob(input, input.failedMinutesAgo)],
  };
}

/** The same VM after `kind` went wrong: VM state, restore points, locks and jobs agree with each other. */
export function failureStory(kind: FailureKind, input: StoryInput): VmStory {
  const story = healthyStory(input);
  story.jobs = [];
  const { vm, collection } = story;
  switch (kind) {
    case 'extension-failed':
      vm.extensions = [snapshotExtension(input.os, 'Failed')];
      story.jobs.push(failedJob(input, [detail('ExtensionOperationFailedForManagedDisks', MESSAGES.extensionFailed, ['Remove the VMSnapshot extension and retry the backup.'])]));
      break;
    case 'extension-failed-legacy-code':
      vm.extensions = [snapshotExtension(input.os, 'Failed')];
      story.jobs.push(failedJob(input, [detail('ExtentionOperationFailed', MESSAGES.extensionFailed)]));
      break;
    case 'extension-failed-no-network':
      // Fix applied, cause remains: removing the extension is the documented fix for the code, but the
      // VM cannot reach Azure Storage, so the Backup Now after it fails again (escalated).
      vm.extensions = [snapshotExtension(input.os, 'Failed')];
      vm.outboundConnectivity = false;
      story.jobs.push(failedJob(input, [detail('ExtensionOperationFailedForManagedDisks', MESSAGES.extensionFailed, ['Remove the VMSnapshot extension and retry the backup.'])]));
      break;
    case 'rp-limit':
    case 'rp-limit-locked-collection':
    case 'rp-limit-locked-group':
      collection.restorePoints = MAX_RESTORE_POINTS;
      if (kind === 'rp-limit-locked-collection') collection.locks = [{ name: 'keep-points', level: 'CanNotDelete', notes: 'audit hold' }];
      if (kind === 'rp-limit-locked-group') story.collectionGroup = 'locked';
      story.jobs.push(failedJob(input, [detail('UserErrorRpCollectionLimitReached', MESSAGES.rpLimit, ['Clean up the restore point collection.'])]));
      break;
    case 'agent-not-ready':
      vm.agent = { status: 'NotReady', version: 'Unknown' };
      story.jobs.push(failedJob(input, [detail('UserErrorGuestAgentStatusUnavailable', MESSAGES.agentUnavailable, ['Ensure the VM agent is installed, running and up to date.'])]));
      break;
    case 'no-network':
      vm.outboundConnectivity = false;
      story.jobs.push(failedJob(input, [detail('ExtensionSnapshotFailedNoNetwork', MESSAGES.noNetwork, ['Allow outbound access to Azure Storage.'])]));
      break;
    case 'internal-error':
      story.jobs.push(failedJob(input, [detail('BackUpOperationFailedV2', MESSAGES.internal)]));
      break;
    case 'backup-in-progress':
      story.jobs.push(failedJob(input, [detail('UserErrorBackupOperationInProgress', MESSAGES.inProgress)], 1));
      story.jobs.push({ name: input.nextGuid(), vmId: input.id, operation: 'Backup', status: 'InProgress', startTime: iso(minutesBefore(input.now, Math.max(1, Math.floor(input.failedMinutesAgo / 2)))) });
      break;
    case 'recovered':
      vm.extensions = [snapshotExtension(input.os, 'Succeeded')];
      story.jobs.push(failedJob(input, [detail('ExtensionOperationFailedForManagedDisks', MESSAGES.extensionFailed)]));
      story.jobs.push(completedJob(input, Math.max(1, Math.floor(input.failedMinutesAgo / 2))));
      break;
    case 'localized-cs':
      vm.agent = { status: 'NotReady', version: 'Unknown' };
      story.jobs.push(failedJob(input, [detail(undefined, MESSAGES.cs)]));
      break;
    case 'localized-ru':
      vm.extensions = [snapshotExtension(input.os, 'Failed')];
      story.jobs.push(failedJob(input, [detail(undefined, MESSAGES.ru)]));
      break;
    case 'localized-pt':
      vm.outboundConnectivity = false;
      story.jobs.push(failedJob(input, [detail(undefined, MESSAGES.pt)]));
      break;
    case 'localized-zh':
      story.jobs.push(failedJob(input, [detail(undefined, MESSAGES.zh)]));
      break;
    case 'message-2016':
      vm.agent = { status: 'NotReady', version: 'Unknown' };
      story.jobs.push(failedJob(input, [detail(undefined, MESSAGES.message2016)]));
      break;
    case 'numeric-only':
      vm.powerState = 'deallocated';
      story.jobs.push(failedJob(input, [detail(380008, MESSAGES.vmOffline)]));
      break;
    case 'unknown-code':
      story.jobs.push(failedJob(input, [detail('UserErrorSomethingNobodyDocumented', MESSAGES.unknown)]));
      break;
    case 'report-only':
      story.jobs.push(failedJob(input, [detail('UserErrorKeyvaultPermissionsNotConfigured', MESSAGES.keyVault, ['Grant Azure Backup access to the key vault.'])]));
      break;
    case 'opted-out':
      vm.tags = { [OPT_OUT_TAG.name]: OPT_OUT_TAG.value };
      vm.extensions = [snapshotExtension(input.os, 'Failed')];
      story.jobs.push(failedJob(input, [detail('ExtensionOperationFailedForManagedDisks', MESSAGES.extensionFailed)]));
      break;
  }
  return story;
}
