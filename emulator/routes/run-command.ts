// POST .../virtualMachines/{vm}/runCommand (VirtualMachines_RunCommand, runCommand.json): a
// long-running action like the other compute LROs: 202 + Azure-AsyncOperation + Location, done at
// the next request; the script runs in the estate's guest (emulator/guest.ts) when it completes and
// its output is the Location's 200 body `{ value: InstanceViewStatus[] }` (final-state-via: location).
// It changes the guest, so the request log counts it as a write.
import type { Router, RouteContext } from '../router';
import { armError, isResponse, notFound, type ArmResponse } from '../errors';
import { runGuestScript, type ScriptOutput } from '../guest';
import { OperationError, type EmulatorRuntime, type Operation } from '../runtime';
import type { VirtualMachineSpec } from '../estate';
import type { VmEntry } from '../state';
import { computeLroAccepted } from './compute';

const PATH = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/runCommand';
const COMMAND_OS: Record<string, VirtualMachineSpec['os']> = { RunPowerShellScript: 'Windows', RunShellScript: 'Linux' };

interface RunCommandBody { commandId: string; script: string[] }

const isStringArray = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isParameterList = (x: unknown): boolean =>
  Array.isArray(x) && x.every((p) => p !== null && typeof p === 'object' && typeof p.name === 'string' && typeof p.value === 'string');

/**
 * The body as runCommand.json types it (RunCommandInput). The wordings are ARM's envelope with the
 * emulator's own messages: no captured Compute answer to a malformed runCommand body was found.
 * No `script` is an empty script, as Compute runs a commandId's default (empty) script.
 */
function parseBody(body: unknown): RunCommandBody | ArmResponse {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a RunCommandInput object.');
  const b = body as Record<string, unknown>;
  if (b.commandId === undefined || b.commandId === null || b.commandId === '') return armError(400, 'InvalidParameter', "Required parameter 'commandId' is missing (null).");
  if (typeof b.commandId !== 'string') return armError(400, 'InvalidRequestContent', "The request content was invalid and could not be deserialized: 'commandId' must be a string.");
  if (b.script !== undefined && !isStringArray(b.script))
    return armError(400, 'InvalidRequestContent', "The request content was invalid and could not be deserialized: 'script' must be an array of strings.");
  if (b.parameters !== undefined && !isParameterList(b.parameters))
    return armError(400, 'InvalidRequestContent', "The request content was invalid and could not be deserialized: 'parameters' must be an array of { name, value } strings.");
  return { commandId: b.commandId, script: (b.script as string[] | undefined) ?? [] };
}

/** Refusals Compute gives before running anything (real wordings, sources beside each). */
function refusal(vm: VirtualMachineSpec, commandId: string): ArmResponse | undefined {
  const os = COMMAND_OS[commandId];
  // A commandId Compute does not know (azure-powershell#7331). Built-in ids such as IPConfig are
  // real but not modelled here: the emulator serves only the two script commands.
  if (!os) return armError(404, 'NotFound', 'The entity was not found in this Azure location.');
  // RunPowerShellScript on Linux (MicrosoftDocs/azure-docs#116419).
  if (os !== vm.os) return armError(409, 'Conflict', `Run command OS type '${os}' does not match the target OS ${vm.os}.`);
  // A stopped or deallocated VM (MicrosoftDocs/azure-docs#32404, Compute's OperationNotAllowed).
  if (vm.powerState !== 'running') return armError(409, 'OperationNotAllowed', 'The operation requires the VM to be running (or set to run).');
  // Compute refuses a second run command while one runs (409 Conflict, Azure/azure-cli#32305); not
  // modelled: the operation completes at the next request, so no request ever sees one running.
  return undefined;
}

/** The statuses Compute returns: stdout and stderr apart on Windows, one combined message on Linux. */
export function runCommandResult(os: VirtualMachineSpec['os'], out: ScriptOutput): { value: Record<string, string>[] } {
  const status = (code: string, message: string) => ({ code, level: 'Info', displayStatus: 'Provisioning succeeded', message });
  if (os === 'Linux') return { value: [status('ProvisioningState/succeeded', `Enable succeeded: \n[stdout]\n${out.stdout}\n[stderr]\n${out.stderr}`)] };
  return { value: [status('ComponentStatus/StdOut/succeeded', out.stdout), status('ComponentStatus/StdErr/succeeded', out.stderr)] };
}

/**
 * The agent is checked when the command would reach it: a NotReady agent never reports, and the
 * operation ends Failed with Compute's VMAgentStatusCommunicationError (MicrosoftDocs/azure-docs#29351,
 * #11596: Run Command on a VM whose agent does not report).
 */
function execute(e: VmEntry, script: string[], op: () => Operation): void {
  if (e.vm.agent.status !== 'Ready')
    throw new OperationError(
      'VMAgentStatusCommunicationError',
      `VM '${e.vm.name}' has not reported status for VM agent or extensions. Please verify the VM has a running VM agent and can establish outbound connections to Azure storage.`,
    );
  op().result = runCommandResult(e.vm.os, runGuestScript(e.vm, script));
}

export function registerRunCommandRoutes(router: Router, rt: EmulatorRuntime): void {
  router.add('POST', PATH, (ctx: RouteContext) => {
    const e = ctx.state.vm(ctx.params.subscriptionId, ctx.params.resourceGroupName, ctx.params.vmName);
    if (!e) {
      if (!ctx.state.resourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName))
        return armError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params.resourceGroupName}' could not be found.`);
      return notFound('Microsoft.Compute/virtualMachines', ctx.params.vmName, ctx.params.resourceGroupName);
    }
    const body = parseBody(ctx.body);
    if (isResponse(body)) return body;
    const refused = refusal(e.vm, body.commandId);
    if (refused) return refused;
    const op: Operation = rt.startOperation(() => execute(e, body.script, () => op));
    return computeLroAccepted(ctx, e.sub.id, e.vm.location ?? e.rg.location, op);
  });
}
