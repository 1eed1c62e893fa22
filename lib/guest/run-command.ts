// Runs one catalogue script in a VM through Run Command (POST .../virtualMachines/{vm}/runCommand, a
// compute long-running operation polled at the ArmContext's interval like the other compute LROs).
// Only a script of GUEST_SCRIPTS is ever sent, as its reviewed lines and with no parameters.
import type { ArmContext } from '../arm/clients';
import type { VmRef } from '../arm/ids';
import { scriptEvidence, type ScriptEvidence } from './output';
import { scriptLines } from './script-text';
import { GUEST_SCRIPTS, type GuestScript } from './scripts';

export async function runCatalogueScript(arm: ArmContext, vm: VmRef, script: GuestScript): Promise<ScriptEvidence> {
  // The very object from the catalogue, not a look-alike assembled elsewhere.
  if (!GUEST_SCRIPTS.includes(script)) throw new Error(`refusing to send a script that is not in the guest script catalogue (${String(script?.id)})`);
  const lines = scriptLines(script);
  const result = await arm
    .compute(vm.subscriptionId)
    .virtualMachines.runCommand(vm.resourceGroup, vm.name, { commandId: script.commandId, script: lines }, { updateIntervalInMs: arm.lroPollIntervalMs });
  return scriptEvidence(script, result.value ?? []);
}
