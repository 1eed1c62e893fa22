// Failures the causal model produces, with the errorDetails a created job carries. Numbers are the
// documented ones where known (320001, 400094, 380008); the 9900xx values are the emulator's own,
// stable so tests and catalogues can rely on them. errorTitle stays empty as the REST API sends it.
// The guest failures (emulator/guest.ts decides them) carry the English messages of the
// troubleshooting article, as lib/catalogue/guest.ts matches them, and its documented steps.

export type SimulatedFailure =
  | 'UserErrorGuestAgentStatusUnavailable'
  | 'ExtensionSnapshotFailedNoNetwork'
  | 'ExtensionOperationFailedForManagedDisks'
  | 'UserErrorRpCollectionLimitReached'
  | 'ResourceNotFound'
  | 'UserErrorBackupOperationInProgress'
  | 'ExtensionFailedVssWriterInBadState'
  | 'ExtensionFailedVssServiceInBadState'
  | 'ExtensionSnapshotFailedCOM'
  | 'ExtensionFailedTimeoutVMNetworkUnresponsive';

export interface FailureInfo { errorCode: number; errorString: string; recommendations: string[] }

export const SIMULATED_FAILURES: Record<SimulatedFailure, FailureInfo> = {
  UserErrorGuestAgentStatusUnavailable: {
    errorCode: 990101,
    errorString: 'VM Agent unable to communicate with Azure Backup',
    recommendations: [
      'Ensure that the VM agent is installed, running and up to date on the virtual machine, and that the VM is running.',
      'Refer to https://aka.ms/guestagent-not-responding for troubleshooting steps.',
    ],
  },
  ExtensionSnapshotFailedNoNetwork: {
    errorCode: 990102,
    errorString: 'Snapshot operation failed due to no network connectivity on the virtual machine',
    recommendations: ['Ensure that the VM has outbound connectivity to Azure Storage and Azure Backup (NSG, proxy, firewall rules).'],
  },
  ExtensionOperationFailedForManagedDisks: {
    errorCode: 990103,
    errorString: 'VMSnapshot extension operation failed',
    recommendations: ['Uninstall the VMSnapshot extension from the virtual machine and retry the backup; the extension is reinstalled by the next backup.'],
  },
  UserErrorRpCollectionLimitReached: {
    errorCode: 990104,
    errorString: 'The Restore Point collection max limit has reached.',
    recommendations: [
      'Remove the lock on the restore point collection resource group so that old restore points can be cleaned up, then retry the backup.',
    ],
  },
  ResourceNotFound: {
    errorCode: 320001,
    errorString: 'Could not perform the operation as VM no longer exists.',
    recommendations: ['Stop protection of the deleted virtual machine, or restore it from an existing recovery point.'],
  },
  UserErrorBackupOperationInProgress: {
    errorCode: 990105,
    errorString: 'Unable to perform the operation as another backup operation is in progress for this item.',
    recommendations: ['Wait for the current backup job to finish before triggering another one.'],
  },
  ExtensionFailedVssWriterInBadState: {
    errorCode: 990106,
    errorString: 'Snapshot operation failed because VSS writers were in a bad state',
    recommendations: [
      'Restart the VSS writers that are in a bad state: from an elevated command prompt run vssadmin list writers, and restart the service of each writer that is not in state [1] Stable.',
      'Then retry the backup.',
    ],
  },
  ExtensionFailedVssServiceInBadState: {
    errorCode: 990107,
    errorString: 'Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state',
    recommendations: ['Restart the Volume Shadow Copy service (net stop VSS, net start VSS); if the issue persists, restart the VM at a scheduled downtime, then retry the backup.'],
  },
  ExtensionSnapshotFailedCOM: {
    errorCode: 990108,
    errorString: 'Snapshot operation failed due to COM+ error',
    recommendations: [
      'Restart the Windows services COM+ System Application and Distributed Transaction Coordinator (MSDTC), then trigger the backup from the Azure portal.',
    ],
  },
  ExtensionFailedTimeoutVMNetworkUnresponsive: {
    errorCode: 990109,
    errorString: 'Snapshot operation failed due to inadequate VM resources',
    recommendations: [
      'Take the snapshot through the host: set SnapshotMethod to firstHostThenGuest and CalculateSnapshotTimeFromHost to True in the BcdrAgentPersistentKeys registry key, then retry the backup.',
    ],
  },
};
