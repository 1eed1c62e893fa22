// The estate file: the simulated Azure the emulator serves (see ../shared/docs/estate-format.md).
// These are the types after validation and defaulting; the validator lives beside them.

export type LockLevel = 'CanNotDelete' | 'ReadOnly';
export interface LockSpec { name: string; level: LockLevel; notes?: string }

export type PowerState = 'running' | 'stopped' | 'deallocated' | 'starting' | 'stopping';
export type ProvisioningState = 'Succeeded' | 'Failed' | 'Updating' | 'Deleting' | 'Creating';

export interface ExtensionSpec {
  name: string;
  publisher: string;
  type: string;
  provisioningState: ProvisioningState;
  typeHandlerVersion?: string;
  /**
   * The status the extension's instance view reports, when it differs from what its provisioning
   * state implies (e.g. provisioning Succeeded, but the last snapshot failed: level Error).
   */
  instanceViewStatus?: { level: 'Info' | 'Warning' | 'Error'; code?: string; displayStatus?: string; message?: string };
}

/** An NSG security rule, in the fields the emulator serves (ARM's names; `*` for any). */
export interface SecurityRuleSpec {
  name: string;
  priority: number;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: 'Tcp' | 'Udp' | '*';
  destinationAddressPrefix: string;
  destinationPortRange: string;
}

export interface NetworkSecurityGroupSpec { name: string; securityRules: SecurityRuleSpec[] }

/** A user-defined route in force on the VM's NIC (its subnet's route table, as effective routes show it). */
export interface RouteSpec {
  name: string;
  addressPrefix: string;
  nextHopType: 'Internet' | 'VirtualAppliance' | 'VirtualNetworkGateway' | 'VnetLocal' | 'None';
  nextHopIpAddress?: string;
}

/**
 * The VM's NIC (`<vm>-nic`, the one its network profile names). Without it the NIC and its
 * effective rules and routes answer 404, so estates written before NICs existed keep their findings.
 */
export interface VmNetworkSpec {
  /** NSG of the same resource group associated with the NIC; none = no NSG applies. */
  networkSecurityGroup?: string;
  routes: RouteSpec[];
}

/** A VSS writer as `vssadmin list writers` shows it, with the Windows service that hosts it. */
export interface VssWriterSpec {
  name: string;
  /** `Stable`, `Failed`, `Waiting for completion`, ... (vssadmin's words). */
  state: string;
  lastError?: string;
  service: string;
  /** Whether restarting `service` brings the writer back to Stable (default true). */
  recoversOnRestart?: boolean;
}

/**
 * What a Run Command script would find inside the VM (emulator/guest.ts). Absent: the guest never
 * causes a backup failure, and scripts see a healthy default guest.
 */
export interface GuestSpec {
  vssWriters?: VssWriterSpec[];
  /** Service states by service name (VSS, COMSysApp, MSDTC, SQLWriter, walinuxagent...); absent = Running. */
  services?: Record<string, 'Running' | 'Stopped'>;
  /** Snapshot registry values (SnapshotMethod, CalculateSnapshotTimeFromHost, SnapshotWithoutThreads); absent = not set. */
  registry?: Record<string, string>;
  /** The guest's network calls are slow: snapshots time out unless the host-snapshot registry values are set. */
  slowSnapshot?: boolean;
}

export interface VirtualMachineSpec {
  name: string;
  os: 'Windows' | 'Linux';
  powerState: PowerState;
  provisioningState: ProvisioningState;
  agent: { status: 'Ready' | 'NotReady'; version: string };
  outboundConnectivity: boolean;
  tags: Record<string, string>;
  locks: LockSpec[];
  extensions: ExtensionSpec[];
  location?: string;
  network?: VmNetworkSpec;
  guest?: GuestSpec;
  /**
   * `properties.vmId`; absent: a GUID derived from the VM's resource id. Changing it stages a VM
   * deleted and recreated under the same name (what an approval recorded is then another VM).
   */
  uniqueId?: string;
}

export interface RestorePointSpec { name: string; timeCreated: string }

export interface RestorePointCollectionSpec {
  name: string;
  sourceVmId: string;
  /** Always an explicit list after loading (a count in the file is expanded). */
  restorePoints: RestorePointSpec[];
  locks: LockSpec[];
  location?: string;
}

export interface ProtectedItemSpec {
  vmId: string;
  policy: string;
  /** The VM was deleted after protection: vmId may then name a VM absent from the estate. */
  vmDeleted?: boolean;
}

export interface JobErrorDetail {
  errorCode?: number | string;
  errorTitle?: string;
  errorString?: string;
  recommendations?: string[];
}

export interface JobSpec {
  name: string;
  vmId: string;
  operation: string;
  status: 'InProgress' | 'Completed' | 'Failed' | 'CompletedWithWarnings' | 'Cancelled' | 'Cancelling';
  startTime: string;
  endTime?: string;
  errorDetails?: JobErrorDetail[];
  /** Anything else the estate wants served verbatim under properties.extendedInfo. */
  extendedInfo?: Record<string, unknown>;
  /** The VM was deleted: vmId may then name a VM absent from the estate. */
  vmDeleted?: boolean;
  activityId?: string;
  /** Set on jobs the emulator creates (Backup Now); estate jobs default to false. */
  isUserTriggered?: boolean;
}

export interface VaultSpec {
  name: string;
  location?: string;
  protectedItems: ProtectedItemSpec[];
  jobs: JobSpec[];
}

export interface ResourceGroupSpec {
  name: string;
  location: string;
  tags: Record<string, string>;
  locks: LockSpec[];
  virtualMachines: VirtualMachineSpec[];
  restorePointCollections: RestorePointCollectionSpec[];
  vaults: VaultSpec[];
  networkSecurityGroups?: NetworkSecurityGroupSpec[];
}

export interface SubscriptionSpec {
  id: string;
  displayName: string;
  locks: LockSpec[];
  resourceGroups: ResourceGroupSpec[];
}

export interface FaultSpec {
  method?: string;
  /** Glob over the request path (`*` matches any run of characters), case-insensitive. */
  path: string;
  status?: number;
  /**
   * `reset` drops the connection before the request takes effect; `lost-response` lets it take
   * effect and then drops the connection instead of answering; `slow` delays the response by delayMs.
   */
  kind?: 'status' | 'reset' | 'slow' | 'lost-response';
  delayMs?: number;
  retryAfterSeconds?: number;
  times?: number;
  probability?: number;
  errorCode?: string;
}

/**
 * Which job fields a shape carries (docs/emulator.md, "Job shapes"): `conservative` serves only what
 * public Resource Graph samples show (no `errorDetails`, no `extendedInfo`); `full` serves the REST
 * job's properties.
 */
export type GraphJobShape = 'conservative' | 'full';

export interface SimulationSpec {
  latencyMs: number | { min: number; max: number };
  throttling: 'off' | 'arm';
  backupDurationSeconds: number;
  faults: FaultSpec[];
  /** Resource Graph backup-job rows: `conservative` (default) or `full`. */
  graphJobShape: GraphJobShape;
  /** Whether REST job *lists* carry `extendedInfo` (default false; the job GET always does). */
  jobListExtendedInfo: boolean;
}

export interface Estate {
  now?: string;
  tenantId?: string;
  subscriptions: SubscriptionSpec[];
  simulation: SimulationSpec;
}
