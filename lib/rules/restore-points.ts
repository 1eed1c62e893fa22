// Azure Backup's instant restore point collections: the 18-point limit and the names Azure Backup
// gives the collections it owns (`AzureBackup_<vm>` or `AzureBackup_<vm>_<n>`, nothing else).

export const RESTORE_POINT_LIMIT = 18;

export function isBackupCollectionName(name: string, vmName: string): boolean {
  const escaped = vmName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^AzureBackup_${escaped}(_\\d+)?$`, 'i').test(name);
}
