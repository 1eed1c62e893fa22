// Codes whose fix is inside the guest OS (VSS, COM+, file systems, certificates, security software):
// report with the exact next step, never write — except the guest fixes an operator enabled by code.
import type { CatalogueEntry } from './types';
import { msg, vmsTroubleshootDoc } from './patterns';
import { learn2018, learn2022, phrase, supportForm } from './sources';
import { cause } from './causes';

const COM_PLUS_CAUSE = cause(
  'com-plus-broken',
  'The Windows COM+ System Application or the Distributed Transaction Coordinator (MSDTC) service is not working.',
  'manual',
  'Restart COM+ System Application; run MSDTC as Network Service (reinstall it with msdtc -uninstall / -install if needed); then trigger a backup.',
  'Inside the VM, run `net start COMSysApp`, make sure MSDTC runs as Network Service (reinstall it if it will not start), then run Backup Now.',
);
const COM_PLUS_DOC = vmsTroubleshootDoc(
  'ExtensionSnapshotFailedCOM / ExtensionInstallationFailedCOM / ExtensionInstallationFailedMDTC - Extension installation/operation failed due to a COM+ error',
);

/**
 * Codes a reviewed guest script fixes (lib/guest/scripts.ts). They stay report-only: their fixes are
 * planned only when REMEDIATION_GUEST_FIX_CODES lists the code (lib/rules/guest-fix.ts), and then a
 * human approves the script before it runs. test/guest-scripts.test.ts keeps this list and the
 * scripts' codes equal.
 */
export const GUEST_FIXABLE_CODES: readonly string[] = [
  'ExtensionSnapshotFailedCOM',
  'ExtensionInstallationFailedCOM',
  'ExtensionInstallationFailedMDTC',
  'ExtensionFailedVssWriterInBadState',
  'ExtensionFailedVssServiceInBadState',
  'ExtensionFailedTimeoutVMNetworkUnresponsive',
];

function guestEntry(code: string, title: string, messages: CatalogueEntry['messages'], causes: CatalogueEntry['causes'], docUrl: string): CatalogueEntry {
  const fixes: CatalogueEntry['fixes'] = GUEST_FIXABLE_CODES.includes(code) ? ['run-guest-fix', 'trigger-backup'] : [];
  return { code, aliases: [], numericCodes: [], title, automation: 'report-only', fixes, messages, causes, docUrl };
}

export const GUEST_ENTRIES: CatalogueEntry[] = [
  guestEntry(
    'VMRestorePointInternalError',
    'Antivirus configured in the VM is restricting the execution of backup extension',
    [phrase('en', 'Antivirus configured in the VM is restricting the execution of backup extension')],
    [
      cause(
        'antivirus-blocks-extension',
        'Antivirus in the VM blocks IaaSBcdrExtension.exe (Event Viewer: "Faulting application name: IaaSBcdrExtension.exe").',
        'manual',
        'Exclude the VMSnapshot plugin and log directories from the antivirus, then retry.',
        'Exclude C:\\Packages\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot and C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot from the antivirus, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('VMRestorePointInternalError - Antivirus configured in the VM is restricting the execution of backup extension'),
  ),
  guestEntry(
    'UserErrorFsFreezeFailed',
    'Failed to freeze one or more mount-points of the VM to take a file-system consistent snapshot',
    [
      msg('en', 'Failed to freeze one or more mount-points of the VM to take a file-system consistent snapshot'),
      phrase('en', 'Failed to freeze one or more mount-points of the VM'),
    ],
    [
      cause(
        'unclean-file-system',
        'A mounted file system is not clean and cannot be frozen.',
        'manual',
        'Unmount the device, run fsck, mount it again (or list it in MountsToSkip in /etc/azure/vmbackup.conf).',
        'Inside the VM, unmount the device named in the extension log, run fsck on it, remount it (or add it to MountsToSkip in /etc/azure/vmbackup.conf), then run Backup Now.',
      ),
      cause(
        'duplicate-mount-points',
        'The same mount point appears more than once.',
        'manual',
        'Remove the stale mount entries or rename the mount path.',
        "Inside the VM, run `mount`, remove the duplicate entries for the mount points that failed to freeze, then run Backup Now.",
      ),
    ],
    vmsTroubleshootDoc('UserErrorFsFreezeFailed - Failed to freeze one or more mount-points of the VM to take a file-system consistent snapshot'),
  ),
  guestEntry('ExtensionSnapshotFailedCOM', 'Snapshot operation failed due to COM+ error', [msg('en', 'Snapshot operation failed due to COM+ error')], [COM_PLUS_CAUSE], COM_PLUS_DOC),
  guestEntry(
    'ExtensionInstallationFailedCOM',
    'Extension installation/operation failed due to a COM+ error',
    [msg('en', 'Extension installation/operation failed due to a COM+ error')],
    [COM_PLUS_CAUSE],
    COM_PLUS_DOC,
  ),
  guestEntry(
    'ExtensionInstallationFailedMDTC',
    'Extension installation failed with the error "COM+ was unable to talk to the Microsoft Distributed Transaction Coordinator"',
    [
      msg('en', 'Extension installation failed with the error "COM+ was unable to talk to the Microsoft Distributed Transaction Coordinator"'),
      phrase('en', 'COM+ was unable to talk to the Microsoft Distributed Transaction Coordinator'),
    ],
    [COM_PLUS_CAUSE],
    COM_PLUS_DOC,
  ),
  guestEntry(
    'ExtensionFailedVssWriterInBadState',
    'Snapshot operation failed because VSS writers were in a bad state',
    [
      msg('en', 'Snapshot operation failed because VSS writers were in a bad state'),
      learn2018('en', 'Snapshot operation failed due to VSS Writers in bad state'),
      phrase('en', 'VSS writers were in a bad state'),
    ],
    [
      cause(
        'vss-writers-bad-state',
        'VSS writers are in a bad state (often short of disk space, memory or CPU, or timing out on limited IOPS).',
        'manual',
        'Check free disk space, memory and CPU; restart the VSS writers that are not Stable; set SnapshotWithoutThreads; spread disk load or back up off-peak.',
        'Inside the VM, run `vssadmin list writers` and restart the service of every writer not in state [1] Stable (in a maintenance window), then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionFailedVssWriterInBadState - Snapshot operation failed because VSS writers were in a bad state'),
  ),
  guestEntry(
    'ExtensionFailedVssServiceInBadState',
    'Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state',
    [
      msg('en', 'Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state'),
      phrase('en', 'VSS (Volume Shadow Copy) service in bad state'),
    ],
    [
      cause(
        'vss-service-bad-state',
        'The Volume Shadow Copy service is in a bad state.',
        'manual',
        'Restart the Volume Shadow Copy service; if it persists, restart the VM in a maintenance window.',
        'Inside the VM, run `net stop VSS` and `net start VSS` (restart the VM in a maintenance window if that fails), then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionFailedVssServiceInBadState - Snapshot operation failed due to VSS (Volume Shadow Copy) service in bad state'),
  ),
  guestEntry(
    'ExtensionConfigParsingFailure',
    'Failure in parsing the config for the backup extension',
    [msg('en', 'Failure in parsing the config for the backup extension')],
    [
      cause(
        'machinekeys-permissions',
        'Permissions on %systemdrive%\\programdata\\microsoft\\crypto\\rsa\\machinekeys were changed from the defaults.',
        'manual',
        'Restore the default MachineKeys permissions, delete the CRP certificates, then trigger a backup.',
        'Inside the VM, reset the MachineKeys directory permissions to the defaults (Everyone R,W; Administrators F), delete the "Windows Azure CRP Certificate Generator" certificates, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionConfigParsingFailure - Failure in parsing the config for the backup extension'),
  ),
  guestEntry(
    'ExtensionFailedSnapshotLimitReachedError',
    'Snapshot operation failed as snapshot limit is exceeded for some of the disks attached',
    [
      msg('en', 'Snapshot operation failed as snapshot limit is exceeded for some of the disks attached'),
      phrase('en', 'snapshot limit is exceeded for some of the disks attached'),
    ],
    [
      cause(
        'disk-snapshot-limit',
        'Some attached disks reached their blob-snapshot limit (unneeded snapshots, soft-delete retention, Site Recovery).',
        'manual',
        'Delete unneeded disk blob snapshots (never the disk blobs), shorten soft-delete retention, schedule Site Recovery apart from the backup.',
        'Delete the blob snapshots of the affected disks that are no longer needed (not the disk blobs themselves) and shorten soft-delete retention, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionFailedSnapshotLimitReachedError - Snapshot operation failed as snapshot limit is exceeded for some of the disks attached'),
  ),
  guestEntry(
    'ExtensionFailedTimeoutVMNetworkUnresponsive',
    'Snapshot operation failed due to inadequate VM resources',
    [msg('en', 'Snapshot operation failed due to inadequate VM resources')],
    [
      cause(
        'vm-overloaded',
        'Network calls during the snapshot were delayed because the VM lacks resources.',
        'manual',
        'Take snapshots through the host (SnapshotMethod=firstHostThenGuest); back up when the VM is less loaded; resize the VM.',
        'Inside the VM, set the BcdrAgentPersistentKeys SnapshotMethod=firstHostThenGuest registry value, move the backup to a quieter time, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionFailedTimeoutVMNetworkUnresponsive - Snapshot operation failed due to inadequate VM resources'),
  ),
  guestEntry(
    'ExtensionSnapshotBitlockerError',
    'The snapshot operation failed with the Volume Shadow Copy Service (VSS) operation error',
    [
      msg('en', 'The snapshot operation failed with the Volume Shadow Copy Service (VSS) operation error'),
      phrase('en', 'This drive is locked by BitLocker Drive Encryption'),
    ],
    [
      cause(
        'bitlocker-locked-drive',
        'A drive is locked by BitLocker Drive Encryption.',
        'manual',
        'Turn off BitLocker for all drives on the VM and check that the VSS error is gone.',
        'Inside the VM, unlock or turn off BitLocker on the locked drives, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionSnapshotBitlockerError - The snapshot operation failed with the Volume Shadow Copy Service (VSS) operation error'),
  ),
  guestEntry(
    'ExtensionSnapshotFailedNoSecureNetwork',
    'The snapshot operation failed because of failure to create a secure network communication channel',
    [
      msg('en', 'The snapshot operation failed because of failure to create a secure network communication channel'),
      phrase('en', 'failure to create a secure network communication channel'),
    ],
    [
      cause(
        'weak-crypto',
        '.NET Framework is not set to use strong cryptography.',
        'manual',
        'Add SchUseStrongCrypto=1 under every .NET Framework registry key.',
        'Inside the VM, add the `SchUseStrongCrypto`=dword:1 value for every .NET Framework version under HKLM\\SOFTWARE\\Microsoft, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionSnapshotFailedNoSecureNetwork - The snapshot operation failed because of failure to create a secure network communication channel'),
  ),
  guestEntry(
    'ExtensionVCRedistInstallationFailure',
    'The snapshot operation failed because of failure to install Visual C++ Redistributable for Visual Studio 2015',
    [
      msg('en', 'The snapshot operation failed because of failure to install Visual C++ Redistributable for Visual Studio 2015'),
      learn2022('en', 'The snapshot operation failed because of failure to install Visual C++ Redistributable for Visual Studio 2012'),
      phrase('en', 'failure to install Visual C++ Redistributable'),
    ],
    [
      cause(
        'vcredist-install-failed',
        'Visual C++ Redistributable could not be installed (installer service disabled, registry permissions, antivirus).',
        'manual',
        'Install vcredist from the VMSnapshot plugin folder; set the Msiserver Start value to 3; fix registry permissions; add antivirus exclusions.',
        'Inside the VM, install vcredist2013_x64 from C:\\Packages\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot\\<version>, make sure the Windows Installer service can start, then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('ExtensionVCRedistInstallationFailure - The snapshot operation failed because of failure to install Visual C++ Redistributable for Visual Studio 2015'),
  ),
  guestEntry(
    'UserErrorUnableToOpenMount',
    'The backup extension could not open the mount points in the VM',
    [
      phrase('en', 'unable to open the mount points in the VM'),
      supportForm('en', 'Some mount point is not accessible'),
      supportForm('en', 'some mount points are either inaccessible or not cleaned up'),
    ],
    [
      cause(
        'mount-points-inaccessible',
        'The backup extension on the VM could not open all mount points.',
        'manual',
        'Make every mount point accessible to the backup extension.',
        'Inside the VM, make every mount point readable by the backup extension (check stale network mounts and permissions), then run Backup Now.',
      ),
    ],
    vmsTroubleshootDoc('UserErrorUnableToOpenMount'),
  ),
];
