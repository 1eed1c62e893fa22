// The causes the article's "Causes and solutions" section describes once and each error section links to.
// Entries list them in the article's order for that code; `withFix` attaches our write action where the
// entry allows it.
import type { ActionKind } from '../types';
import type { Cause } from './types';

export const NO_INTERNET_ACCESS: Cause = {
  id: 'no-internet-access',
  summary: 'The VM has no internet access (or a restriction blocks the Azure public IPs / storage endpoint the backup extension talks to).',
  check: 'outbound-connectivity',
  fix: 'Allow outbound access to Azure Storage for the region (NSG rule with the Storage service tag, or an HTTP(S) proxy route); open port 8443 for managed disks.',
  nextStep: "Check the VM's NSG and route rules: allow outbound HTTPS to the region's Storage service tag (or route it through the proxy), then run Backup Now.",
};

export const AGENT_UNRESPONSIVE_WINDOWS: Cause = {
  id: 'agent-unresponsive-windows',
  summary: 'The VM agent is installed but not responding (Windows VMs).',
  check: 'agent-ready',
  fix: 'Restart the Windows Azure Guest Agent service; if that fails, uninstall it and install the latest agent MSI; make sure .NET 4.5 is installed.',
  nextStep: "Inside the VM, restart the 'Windows Azure Guest Agent' service (services.msc) or reinstall the latest agent MSI, confirm the portal shows the agent Ready, then run Backup Now.",
};

export const AGENT_OUTDATED_LINUX: Cause = {
  id: 'agent-outdated-linux',
  summary: 'The VM agent installed in the VM is out of date (Linux VMs).',
  check: 'agent-version',
  fix: "Update the Linux agent from the distribution's repository, make sure waagent/walinuxagent is running and configured to restart, then retry.",
  nextStep: "Inside the VM, update the Linux agent (walinuxagent/waagent) from the distribution's package repository, check it runs (`ps -e`), then run Backup Now.",
};

export const SNAPSHOT_STATUS_UNAVAILABLE: Cause = {
  id: 'snapshot-status-unavailable',
  summary: 'The snapshot status cannot be retrieved or a snapshot cannot be taken (VM shut down from inside the guest, no DHCP host address).',
  check: 'vm-running',
  fix: 'If the VM was shut down over RDP, shut it down from the portal so its state is reported correctly; keep DHCP enabled inside the guest.',
  nextStep: "Compare the VM's power state in the portal with the guest: if it was shut down from inside (RDP), stop it from the portal; make sure DHCP is enabled in the guest, then run Backup Now.",
};

export const EXTENSION_FAILS_TO_LOAD: Cause = {
  id: 'extension-fails-to-load',
  summary: 'The backup extension (VMSnapshot / VMSnapshotLinux) fails to update or load.',
  check: 'snapshot-extension-state',
  fix: 'Uninstall the VMSnapshot extension to force a reload; the next backup reinstalls it.',
  nextStep: "Uninstall the VMSnapshot (or VMSnapshotLinux) extension from the VM's Extensions blade, then run Backup Now so it is reinstalled.",
};

export const RESTORE_POINTS_LOCKED: Cause = {
  id: 'restore-points-locked',
  summary: 'The backup service cannot delete old restore points because a lock covers the restore point collection (limit of 18 reached).',
  check: 'collection-lock',
  fix: 'Remove the lock, delete the restore point collection of the VM, and let the next backup recreate it.',
  nextStep: 'Remove the lock named in the finding from the restore point collection\'s scope (or ask its owner to), then let the remediator delete the collection and run Backup Now.',
};

export const AGENT_CONFIG_LINUX: Cause = {
  id: 'agent-config-linux',
  summary: 'VM agent configuration options are not set (Linux VMs): Extensions.Enable must be y and Provisioning.Agent auto.',
  check: 'manual',
  fix: 'Set Extensions.Enable=y and Provisioning.Agent=auto in /etc/waagent.conf.',
  nextStep: 'Inside the VM, set `Extensions.Enable=y` and `Provisioning.Agent=auto` in /etc/waagent.conf, restart the agent, then run Backup Now.',
};

export const APP_CONTROL_BLOCKS_EXTENSION: Cause = {
  id: 'app-control-blocks-extension',
  summary: 'An application control solution (AppLocker or similar) blocks IaaSBcdrExtension.exe.',
  check: 'manual',
  fix: 'Exclude IaaSBcdrExtension.exe (or the /var/lib path) from the application control rules.',
  nextStep: 'Add an AppLocker (or equivalent) exclusion for IaaSBcdrExtension.exe, then run Backup Now.',
};

/** The same cause, with one of our write actions as its fix. */
export function withFix(cause: Cause, automatedFix: ActionKind): Cause {
  return { ...cause, automatedFix };
}

/** A cause stated once, for codes whose article section names a single reason. */
export function cause(id: string, summary: string, check: Cause['check'], fix: string, nextStep: string, automatedFix?: ActionKind): Cause {
  return automatedFix ? { id, summary, check, fix, nextStep, automatedFix } : { id, summary, check, fix, nextStep };
}
