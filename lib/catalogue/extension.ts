// The VMSnapshot extension family: the documented fix is to remove the extension so the next backup
// reinstalls it, then back up. The engine may do both, within its guardrails (agent Ready, etc.).
import type { CatalogueEntry } from './types';
import { msg, snapshotTimeoutDoc, vmsTroubleshootDoc } from './patterns';
import { cs2021, phrase, ru2021, zh2021 } from './sources';
import {
  AGENT_OUTDATED_LINUX,
  AGENT_UNRESPONSIVE_WINDOWS,
  EXTENSION_FAILS_TO_LOAD,
  SNAPSHOT_STATUS_UNAVAILABLE,
  cause,
  withFix,
} from './causes';

// One message, two codes: the managed-disk variant reuses the original message word for word, in
// every language (the 2021 translations carry it under the variant's heading).
const VMSNAPSHOT_OPERATION_FAILED = [
  msg('en', 'VMSnapshot extension operation failed'),
  msg('cs', 'operace rozšíření VMSnapshot selhala'),
  msg('ru', 'Сбой в ходе работы расширения VMSnapshot'),
  msg('pt', 'a operação de extensão de VMSnapshot falhou'),
  msg('zh-TW', 'VMSnapshot 擴充作業失敗'),
  cs2021('cs', 'operace rozšíření VMSnapshot se nezdařila'),
  ru2021('ru', 'операция расширения VMSnapshot завершилась сбоем'),
  zh2021('zh-TW', 'VMSnapshot 延伸模組作業失敗'),
];

export const EXTENSION_ENTRIES: CatalogueEntry[] = [
  {
    code: 'ExtensionOperationFailed',
    aliases: ['ExtentionOperationFailed'],
    numericCodes: [],
    title: 'VMSnapshot extension operation failed',
    automation: 'auto',
    fixes: ['remove-snapshot-extension', 'trigger-backup'],
    messages: VMSNAPSHOT_OPERATION_FAILED,
    causes: [
      SNAPSHOT_STATUS_UNAVAILABLE,
      withFix(EXTENSION_FAILS_TO_LOAD, 'remove-snapshot-extension'),
      AGENT_UNRESPONSIVE_WINDOWS,
      AGENT_OUTDATED_LINUX,
    ],
    docUrl: snapshotTimeoutDoc({ name: 'vmsnapshot-extension-operation-failed' }),
  },
  {
    // A separate code in the current article (own section, own causes); not an alias, so reports keep it.
    code: 'ExtensionOperationFailedForManagedDisks',
    aliases: [],
    numericCodes: [],
    title: 'VMSnapshot extension operation failed (managed disks)',
    automation: 'auto',
    fixes: ['remove-snapshot-extension', 'trigger-backup'],
    messages: VMSNAPSHOT_OPERATION_FAILED,
    causes: [
      SNAPSHOT_STATUS_UNAVAILABLE,
      withFix(EXTENSION_FAILS_TO_LOAD, 'remove-snapshot-extension'),
      AGENT_UNRESPONSIVE_WINDOWS,
      AGENT_OUTDATED_LINUX,
    ],
    docUrl: snapshotTimeoutDoc({ name: 'ExtensionOperationFailed-vmsnapshot-extension-operation-failed' }),
  },
  {
    code: 'UserErrorVmProvisioningStateFailed',
    aliases: [],
    numericCodes: [],
    title: 'The VM is in failed provisioning state',
    automation: 'auto',
    fixes: ['remove-snapshot-extension', 'trigger-backup'],
    messages: [
      msg('en', 'The VM is in failed provisioning state'),
      // Reported without the article ("VM is in Failed Provisioning State") and in other casings.
      phrase('en', 'VM is in failed provisioning state'),
      cs2021('cs', 'virtuální počítač je ve stavu selhání zřizování'),
      cs2021('cs', 'Virtuální počítač je ve stavu neúspěšného zřízení'),
      ru2021('ru', 'виртуальная машина находится в состоянии "сбой подготовки"'),
      ru2021('ru', 'виртуальная машина находится в состоянии сбоя подготовки'),
      zh2021('zh-TW', 'VM 處於失敗的布建狀態'),
      zh2021('zh-TW', 'VM 處於佈建失敗狀態'),
    ],
    causes: [
      cause(
        'snapshot-extension-failed',
        "The VMSnapshot extension's failure put the VM into the failed provisioning state.",
        'snapshot-extension-state',
        'Resolve the failed extension (for VMSnapshot: uninstall it so the next backup reinstalls it) and retry the backup.',
        'Uninstall the failed VMSnapshot/VMSnapshotLinux extension from the VM\'s Extensions blade, then run Backup Now.',
        'remove-snapshot-extension',
      ),
      cause(
        'other-extension-failed',
        'Another extension on the VM is in a failed state and holds the VM in the failed provisioning state.',
        'vm-provisioning-state',
        'Resolve the failed extension and retry the backup.',
        "Open the VM's Extensions blade, fix or remove the extension that is not 'Provisioning succeeded', then run Backup Now.",
      ),
      cause(
        'vm-updating',
        'The VM provisioning state is Updating, which interferes with the backup.',
        'vm-provisioning-state',
        'Wait until the VM is healthy and retry the backup.',
        'Wait for the VM update to finish (provisioning state Succeeded), then run Backup Now.',
      ),
    ],
    docUrl: snapshotTimeoutDoc({ heading: 'UserErrorVmProvisioningStateFailed - The VM is in failed provisioning state' }),
  },
  {
    code: 'ExtensionStuckInDeletionState',
    aliases: [],
    numericCodes: [],
    title: 'Extension state is not supportive to the backup operation',
    automation: 'auto',
    fixes: ['remove-snapshot-extension', 'trigger-backup'],
    messages: [
      msg('en', 'Extension state is not supportive to the backup operation'),
      msg('en', 'Extension state is not supportive to backup operation'),
      phrase('en', 'Extension state is not supportive'),
    ],
    causes: [
      cause(
        'agent-not-responsive',
        'The guest agent is not installed or not responsive, so the extension cannot be cleaned up and reinstalled.',
        'agent-ready',
        'Ensure the guest agent is installed and responsive.',
        'Make sure the VM agent is installed and shows Ready in the portal; restart or reinstall it inside the guest if not, then run Backup Now.',
      ),
      cause(
        'extension-inconsistent-state',
        'The backup extension is in an inconsistent state (stuck in deletion).',
        'snapshot-extension-state',
        'Uninstall the VmSnapshot / VmSnapshotLinux extension, then retry the backup; the next backup installs a fresh extension.',
        "Uninstall the VmSnapshot/VmSnapshotLinux extension from the VM's Extensions blade, then run Backup Now.",
        'remove-snapshot-extension',
      ),
    ],
    docUrl: vmsTroubleshootDoc('ExtensionStuckInDeletionState - Extension state is not supportive to the backup operation'),
  },
];
