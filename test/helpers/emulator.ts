// Small fixtures for emulator tests: a compact estate builder and SDK client factories.
import { ComputeManagementClient } from '@azure/arm-compute';
import { ManagementLockClient } from '@azure/arm-locks';
import { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import { ResourceManagementClient } from '@azure/arm-resources';
import { staticTokenCredential } from '../../emulator/credential';
import { sdkClientOptions } from '../../emulator/sdk-options';
import { start as startEmulator, type Emulator } from '../../emulator';
import { createArmContext, type ArmContext } from '../../lib/arm/clients';

export const SUB = '11111111-1111-4111-8111-111111111111';
export const SUB2 = '22222222-2222-4222-8222-222222222222';
export const vmId = (rg: string, name: string, sub = SUB) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

export function clients(emu: Emulator, sub = SUB) {
  const cred = staticTokenCredential();
  const opts = sdkClientOptions(emu);
  return {
    compute: new ComputeManagementClient(cred, sub, opts),
    locks: new ManagementLockClient(cred, sub, opts),
    backup: new RecoveryServicesBackupClient(cred, sub, opts),
    resources: new ResourceManagementClient(cred, sub, opts),
  };
}

/** A small estate: rg-app with three VMs in various states, a backup RG with collections, a vault. */
export function smallEstate(overrides: { backupDurationSeconds?: number } = {}): any {
  return {
    now: '2026-11-20T06:00:00Z',
    subscriptions: [
      {
        id: SUB,
        displayName: 'prod',
        locks: [],
        resourceGroups: [
          {
            name: 'rg-app',
            location: 'westeurope',
            virtualMachines: [
              { name: 'vm-ok', os: 'Windows', extensions: [{ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Succeeded' }] },
              { name: 'vm-agent', os: 'Linux', agent: { status: 'NotReady', version: '2.2.0' } },
              { name: 'vm-ext', os: 'Windows', extensions: [{ name: 'VMSnapshot', publisher: 'Microsoft.Azure.RecoveryServices', type: 'VMSnapshot', provisioningState: 'Failed' }] },
              { name: 'vm-full', os: 'Linux' },
              { name: 'vm-nonet', os: 'Linux', outboundConnectivity: false },
            ],
            vaults: [
              {
                name: 'rsv-prod',
                protectedItems: ['vm-ok', 'vm-agent', 'vm-ext', 'vm-full', 'vm-nonet'].map((n) => ({ vmId: vmId('rg-app', n), policy: 'DefaultPolicy' })),
                jobs: [
                  {
                    name: '5f1c3e8a-0000-4000-8000-000000000001',
                    vmId: vmId('rg-app', 'vm-agent'),
                    operation: 'Backup',
                    status: 'Failed',
                    startTime: '2026-11-20T01:00:00Z',
                    endTime: '2026-11-20T01:25:00Z',
                    errorDetails: [{ errorCode: 'UserErrorGuestAgentStatusUnavailable', errorTitle: '', errorString: 'VM Agent unable to communicate with Azure Backup' }],
                  },
                ],
              },
            ],
          },
          {
            name: 'AzureBackupRG_westeurope_1',
            location: 'westeurope',
            locks: [{ name: 'keep', level: 'CanNotDelete' }],
            restorePointCollections: [
              { name: 'AzureBackup_vm-full_100', sourceVmId: vmId('rg-app', 'vm-full'), restorePoints: 18 },
              { name: 'AzureBackup_vm-ok_200', sourceVmId: vmId('rg-app', 'vm-ok'), restorePoints: 3 },
            ],
          },
          {
            name: 'AzureBackupRG_westeurope_2',
            location: 'westeurope',
            restorePointCollections: [{ name: 'AzureBackup_vm-agent_300', sourceVmId: vmId('rg-app', 'vm-agent'), restorePoints: 2 }],
          },
        ],
      },
    ],
    simulation: { backupDurationSeconds: overrides.backupDurationSeconds ?? 600 },
  };
}

/**
 * The engine's ARM clients (lib/arm/clients) pointed at an emulator, with retry and LRO delays cut
 * to milliseconds: what every engine-level test runs on.
 */
export function armContextFor(emu: Pick<Emulator, 'endpoint' | 'ca'>): ArmContext {
  return createArmContext({
    endpoint: emu.endpoint,
    credential: staticTokenCredential(),
    ca: emu.ca,
    retry: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 50 },
    lroPollIntervalMs: 1,
  });
}

/** An emulator on a free port serving `estate`, with the engine's clients pointed at it. */
export async function startWithArm(estate: unknown): Promise<{ emu: Emulator; arm: ArmContext }> {
  const emu = await startEmulator({ estate, port: 0 });
  return { emu, arm: armContextFor(emu) };
}
