// The Azure Backup snapshot extension's identity and health: what diagnosis looks for, what the
// planner may remove and what the write-time check re-confirms. Never matched by prefix.

export const SNAPSHOT_PUBLISHER = 'Microsoft.Azure.RecoveryServices';
export const SNAPSHOT_TYPES = ['VMSnapshot', 'VMSnapshotLinux'] as const;

const PUBLISHER_LC = SNAPSHOT_PUBLISHER.toLowerCase();
const TYPES_LC = SNAPSHOT_TYPES.map((t) => t.toLowerCase());

/** An extension resource (publisher + type) is the snapshot extension. */
export function isSnapshotExtension(publisher: string | undefined, type: string | undefined): boolean {
  return (publisher ?? '').toLowerCase() === PUBLISHER_LC && TYPES_LC.includes((type ?? '').toLowerCase());
}

/** An instance-view type (`Microsoft.Azure.RecoveryServices.VMSnapshot`) names the snapshot extension. */
export function isSnapshotExtensionFullType(fullType: string | undefined): boolean {
  const t = (fullType ?? '').toLowerCase();
  return TYPES_LC.some((s) => t === `${PUBLISHER_LC}.${s}`);
}

/** Codes whose documented fix is reloading the snapshot extension whatever state it reports. */
const EXTENSION_RELOAD_FAMILY = [
  'ExtensionOperationFailed', 'ExtentionOperationFailed', 'ExtensionOperationFailedForManagedDisks',
  'UserErrorVmProvisioningStateFailed', 'ExtensionStuckInDeletionState',
].map((c) => c.toLowerCase());

export function isExtensionReloadCode(code: string): boolean {
  return EXTENSION_RELOAD_FAMILY.includes(code.toLowerCase());
}

/**
 * The snapshot extension is failed or stuck: provisioning Failed or Deleting, or its instance view
 * reports an error. The planner and the write-time check (remove-snapshot-extension) share it.
 */
export function extensionFailedOrStuck(ext: { provisioningState?: string; instanceViewStatus?: { level?: string } }): boolean {
  const ps = (ext.provisioningState ?? '').toLowerCase();
  if (ps === 'failed' || ps === 'deleting') return true;
  return (ext.instanceViewStatus?.level ?? '').toLowerCase() === 'error';
}
