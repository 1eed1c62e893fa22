// ARM JSON of the resources the emulator serves, shaped per the official OpenAPI files (bms.json
// 2023-06-01, ComputeRP, locks). REST routes and Resource Graph rows both use these, so a job looks
// the same whichever way it is read.
import type { ExtensionSpec, JobSpec, RestorePointCollectionSpec, RestorePointSpec, SubscriptionSpec, VirtualMachineSpec } from './estate';
import type { ProtectedItemEntry, ProtectedItemRuntime, RgEntry, RpcEntry, VaultEntry, VmEntry } from './state';
import { vmParts } from './state';

/** ISO 8601 duration (`PT1H2M3.5S`), as the backup service writes job durations. */
export function isoDuration(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = Math.round((total % 60) * 1000) / 1000;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}

/** Stable GUID-shaped id derived from a string (VM ids, collection ids): same input, same id. */
export function stableGuid(seed: string): string {
  let h1 = 0x811c9dc5,
    h2 = 0x01000193,
    h3 = 0x9e3779b9,
    h4 = 0x85ebca6b;
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 2246822519);
    h3 = Math.imul(h3 ^ c, 3266489917);
    h4 = Math.imul(h4 ^ c, 668265263);
  }
  const hex = [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function containerNameOf(vmId: string): string {
  const p = vmParts(vmId);
  return `iaasvmcontainerv2;${p.resourceGroup.toLowerCase()};${p.name.toLowerCase()}`;
}

/** Job fields a read leaves out: lists and Resource Graph rows carry less than the job GET. */
export interface JobShape {
  errorDetails?: boolean;
  extendedInfo?: boolean;
}

/**
 * A backup job (AzureIaaSVMJob). Estate fields are served verbatim, including string errorCodes.
 * `shape` drops `errorDetails` / `extendedInfo` (both kept by default, as the job GET serves them).
 */
export function serializeJob(vaultId: string, job: JobSpec, now: Date, shape: JobShape = {}): unknown {
  const vm = vmParts(job.vmId);
  const start = Date.parse(job.startTime);
  const end = job.endTime ? Date.parse(job.endTime) : now.getTime();
  const extendedInfo: Record<string, unknown> = { tasksList: [], propertyBag: {}, ...(job.extendedInfo ?? {}) };
  const properties: Record<string, unknown> = {
    jobType: 'AzureIaaSVMJob',
    entityFriendlyName: vm.name,
    backupManagementType: 'AzureIaasVM',
    operation: job.operation,
    status: job.status,
    startTime: job.startTime,
    activityId: job.activityId ?? stableGuid(`activity:${vaultId}:${job.name}`),
    duration: isoDuration(end - start),
    actionsInfo: job.status === 'InProgress' ? ['Cancellable'] : [],
    errorDetails: job.errorDetails ?? [],
    virtualMachineVersion: 'Compute',
    extendedInfo,
    containerName: containerNameOf(job.vmId),
    isUserTriggered: job.isUserTriggered ?? false,
  };
  if (job.endTime) properties.endTime = job.endTime;
  if (shape.errorDetails === false) delete properties.errorDetails;
  if (shape.extendedInfo === false) delete properties.extendedInfo;
  return { id: `${vaultId}/backupJobs/${job.name}`, name: job.name, type: 'Microsoft.RecoveryServices/vaults/backupJobs', properties };
}

export function serializeProtectedItem(e: ProtectedItemEntry, runtime?: ProtectedItemRuntime): unknown {
  const properties: Record<string, unknown> = {
    protectedItemType: 'Microsoft.Compute/virtualMachines',
    friendlyName: e.vmName,
    virtualMachineId: e.item.vmId,
    protectionStatus: 'Healthy',
    protectionState: 'Protected',
    healthStatus: 'Passed',
    lastBackupStatus: runtime?.lastBackupStatus ?? 'Healthy',
    protectedItemDataId: stableGuid(`item:${e.id}`).replace(/\D/g, '').slice(0, 14),
    backupManagementType: 'AzureIaasVM',
    workloadType: 'VM',
    containerName: e.containerName,
    sourceResourceId: e.item.vmId,
    policyId: `${e.vault.id}/backupPolicies/${e.item.policy}`,
    policyName: e.item.policy,
    vaultId: e.vault.id,
  };
  if (runtime?.lastBackupTime) {
    properties.lastBackupTime = runtime.lastBackupTime;
    properties.lastRecoveryPoint = runtime.lastBackupTime;
  }
  return {
    id: e.id,
    name: e.itemName,
    type: 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems',
    properties,
  };
}

export function serializeProtectionContainer(e: ProtectedItemEntry): unknown {
  return {
    id: `${e.vault.id}/backupFabrics/Azure/protectionContainers/${e.containerName}`,
    name: e.containerName,
    type: 'Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers',
    properties: {
      friendlyName: e.vmName,
      backupManagementType: 'AzureIaasVM',
      registrationStatus: 'Registered',
      healthStatus: 'Healthy',
      containerType: 'Microsoft.Compute/virtualMachines',
      protectableObjectType: 'Microsoft.Compute/virtualMachines',
      virtualMachineId: e.item.vmId,
      virtualMachineVersion: 'Compute',
      resourceGroup: e.vmResourceGroup,
    },
  };
}

export function serializeVault(v: VaultEntry): unknown {
  return {
    id: v.id,
    name: v.vault.name,
    type: 'Microsoft.RecoveryServices/vaults',
    location: v.vault.location ?? v.rg.location,
    tags: {},
    sku: { name: 'Standard' },
    properties: {
      provisioningState: 'Succeeded',
      monitoringSettings: { azureMonitorAlertSettings: { alertsForAllJobFailures: 'Enabled' }, classicAlertSettings: { alertsForCriticalOperations: 'Disabled' } },
    },
  };
}

export function serializeSubscription(s: SubscriptionSpec, tenantId: string): unknown {
  return {
    id: `/subscriptions/${s.id}`,
    subscriptionId: s.id,
    tenantId,
    displayName: s.displayName || s.id,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
    authorizationSource: 'RoleBased',
  };
}

export function serializeResourceGroup(e: RgEntry): unknown {
  return { id: e.id, name: e.rg.name, type: 'Microsoft.Resources/resourceGroups', location: e.rg.location, tags: e.rg.tags, properties: { provisioningState: 'Succeeded' } };
}

// ---- Compute -------------------------------------------------------------------------------

const SNAPSHOT_TYPES = new Set(['vmsnapshot', 'vmsnapshotlinux']);
export function isSnapshotExtension(x: ExtensionSpec): boolean {
  return x.publisher.toLowerCase() === 'microsoft.azure.recoveryservices' && SNAPSHOT_TYPES.has(x.type.toLowerCase());
}

function locationOf(e: VmEntry): string {
  return e.vm.location ?? e.rg.location;
}

/** The status an extension's instance view reports (the VM's instance view and the extension GET with $expand=instanceView). */
function extensionStatus(x: ExtensionSpec, time: string): Record<string, unknown> {
  const s = x.instanceViewStatus;
  if (s) {
    return {
      code: s.code ?? (s.level === 'Error' ? 'ProvisioningState/failed/-2147024891' : `ProvisioningState/${x.provisioningState.toLowerCase()}`),
      level: s.level,
      displayStatus: s.displayStatus ?? (s.level === 'Error' ? 'Provisioning failed' : 'Provisioning succeeded'),
      ...(s.message !== undefined ? { message: s.message } : {}),
      time,
    };
  }
  return x.provisioningState === 'Failed'
    ? { code: 'ProvisioningState/failed/-2147024891', level: 'Error', displayStatus: 'Provisioning failed', message: `Extension ${x.name} failed to process the request.` }
    : provisioningStatus(x.provisioningState, time);
}

function extensionInstanceView(x: ExtensionSpec, time: string): Record<string, unknown> {
  return { name: x.name, type: `${x.publisher}.${x.type}`, typeHandlerVersion: x.typeHandlerVersion ?? '1.0', statuses: [extensionStatus(x, time)] };
}

export function serializeExtension(e: VmEntry, x: ExtensionSpec, opts: { instanceView?: boolean; now?: Date } = {}): unknown {
  const body = {
    id: `${e.id}/extensions/${x.name}`,
    name: x.name,
    type: 'Microsoft.Compute/virtualMachines/extensions',
    location: locationOf(e),
    properties: {
      publisher: x.publisher,
      type: x.type,
      typeHandlerVersion: x.typeHandlerVersion ?? '1.0',
      autoUpgradeMinorVersion: true,
      provisioningState: x.provisioningState,
    } as Record<string, unknown>,
  };
  if (opts.instanceView) body.properties.instanceView = extensionInstanceView(x, (opts.now ?? new Date()).toISOString());
  return body;
}

const POWER_DISPLAY: Record<VirtualMachineSpec['powerState'], string> = {
  running: 'VM running',
  stopped: 'VM stopped',
  deallocated: 'VM deallocated',
  starting: 'VM starting',
  stopping: 'VM stopping',
};

function provisioningStatus(state: string, time: string): Record<string, unknown> {
  const lower = state.toLowerCase();
  return {
    code: `ProvisioningState/${lower}`,
    level: lower === 'failed' ? 'Error' : 'Info',
    displayStatus: lower === 'failed' ? 'Provisioning failed' : lower === 'succeeded' ? 'Provisioning succeeded' : `${state}`,
    time,
  };
}

export function serializeInstanceView(e: VmEntry, now: Date): Record<string, unknown> {
  const vm = e.vm;
  const time = now.toISOString();
  const ready = vm.agent.status === 'Ready';
  const qualified = (x: ExtensionSpec) => `${x.publisher}.${x.type}`;
  return {
    computerName: vm.name,
    osName: vm.os === 'Windows' ? 'Windows Server 2022 Datacenter' : 'ubuntu',
    osVersion: vm.os === 'Windows' ? '10.0.20348.2849' : '22.04',
    vmAgent: {
      vmAgentVersion: ready ? vm.agent.version : 'Unknown',
      statuses: [
        ready
          ? { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready', message: 'GuestAgent is running and processing the extensions.', time }
          : { code: 'ProvisioningState/Unavailable', level: 'Warning', displayStatus: 'Not Ready', message: 'VM status blob is found but not yet populated.', time },
      ],
      extensionHandlers: ready
        ? vm.extensions.map((x) => ({
            type: qualified(x),
            typeHandlerVersion: x.typeHandlerVersion ?? '1.0',
            status: { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready' },
          }))
        : [],
    },
    extensions: vm.extensions.map((x) => extensionInstanceView(x, time)),
    hyperVGeneration: 'V2',
    statuses: [provisioningStatus(vm.provisioningState, time), { code: `PowerState/${vm.powerState}`, level: 'Info', displayStatus: POWER_DISPLAY[vm.powerState] }],
  };
}

export function serializeVm(e: VmEntry, opts: { instanceView?: boolean; now: Date }): unknown {
  const vm = e.vm;
  const properties: Record<string, unknown> = {
    vmId: vm.uniqueId ?? stableGuid(`vm:${e.id.toLowerCase()}`),
    hardwareProfile: { vmSize: 'Standard_D2s_v5' },
    storageProfile: {
      osDisk: {
        osType: vm.os,
        name: `${vm.name}_OsDisk_1`,
        createOption: 'FromImage',
        caching: 'ReadWrite',
        managedDisk: { storageAccountType: 'Premium_LRS', id: `/subscriptions/${e.sub.id}/resourceGroups/${e.rg.name}/providers/Microsoft.Compute/disks/${vm.name}_OsDisk_1` },
        deleteOption: 'Delete',
      },
      dataDisks: [],
    },
    osProfile: { computerName: vm.name, adminUsername: 'azureuser', allowExtensionOperations: true },
    networkProfile: { networkInterfaces: [{ id: `/subscriptions/${e.sub.id}/resourceGroups/${e.rg.name}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic` }] },
    provisioningState: vm.provisioningState,
  };
  if (opts.instanceView) properties.instanceView = serializeInstanceView(e, opts.now);
  const body: Record<string, unknown> = {
    id: e.id,
    name: vm.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: locationOf(e),
    tags: vm.tags,
    properties,
  };
  if (vm.extensions.length) body.resources = vm.extensions.map((x) => serializeExtension(e, x));
  return body;
}

export function serializeRestorePoint(rpcId: string, rp: RestorePointSpec): unknown {
  return {
    id: `${rpcId}/restorePoints/${rp.name}`,
    name: rp.name,
    type: 'Microsoft.Compute/restorePointCollections/restorePoints',
    properties: { timeCreated: rp.timeCreated, provisioningState: 'Succeeded', consistencyMode: 'ApplicationConsistent', excludeDisks: [] },
  };
}

export function serializeRestorePointCollection(e: RpcEntry, opts: { expandRestorePoints?: boolean }): unknown {
  const rpc: RestorePointCollectionSpec = e.rpc;
  const properties: Record<string, unknown> = {
    source: { id: rpc.sourceVmId, location: rpc.location ?? e.rg.location },
    provisioningState: 'Succeeded',
    restorePointCollectionId: stableGuid(`rpc:${e.id.toLowerCase()}`),
  };
  if (opts.expandRestorePoints) properties.restorePoints = rpc.restorePoints.map((rp) => serializeRestorePoint(e.id, rp));
  return {
    id: e.id,
    name: rpc.name,
    type: 'Microsoft.Compute/restorePointCollections',
    location: rpc.location ?? e.rg.location,
    tags: {},
    properties,
  };
}
