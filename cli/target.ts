// Where a run reads and writes: real Azure (DefaultAzureCredential, any ARM endpoint) or an
// in-process emulator loaded with an estate file. Both end up as the same ArmContext.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { createArmContext, type ArmContext } from '../lib/arm/clients';
import { staticTokenCredential } from '../emulator/credential';
import { start, type Emulator } from '../emulator/index';
import { sdkClientOptions } from '../emulator/sdk-options';
import { UsageError } from './exit-codes';

export interface Target {
  arm: ArmContext;
  /** Present when the run goes to an in-process emulator. */
  emulator?: Emulator;
  /** The run's clock: simulated time for the emulator, wall time for Azure. */
  now(): Date;
  /** How verification waits between polls: advance simulated time, or really wait. */
  verifyWait?: (ms: number) => Promise<void>;
  verifyPollIntervalMs?: number;
  /** Subscriptions known without asking ARM (the estate's); undefined for real Azure. */
  knownSubscriptions?: string[];
  description: string;
  /** What a saved plan records as where its facts were read; apply --plan refuses another. */
  planTarget: string;
  close(): Promise<void>;
}

/** Reads and parses an estate file; any problem becomes a UsageError naming the file. */
export function readEstateFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UsageError(`cannot read estate file ${file}: ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`estate file ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function emulatorTarget(estateFile: string, opts: { lroPollIntervalMs?: number } = {}): Promise<Target> {
  const raw = readEstateFile(estateFile);
  let emu: Emulator;
  try {
    emu = await start({ estate: raw, port: 0 });
  } catch (e) {
    // The validator names the JSON path and the problem; anything else is not the user's input.
    if (e instanceof Error && e.name === 'EstateError') throw new UsageError(`estate file ${estateFile} is invalid: ${e.message}`);
    throw e;
  }
  const sdk = sdkClientOptions(emu);
  const arm = createArmContext({
    endpoint: emu.endpoint,
    credential: staticTokenCredential(),
    ca: emu.ca,
    retry: sdk.retryOptions,
    lroPollIntervalMs: opts.lroPollIntervalMs ?? 10,
  });
  return {
    arm,
    emulator: emu,
    now: () => emu.clock.now(),
    // Nothing sleeps: simulated time moves by the poll interval, which also ends due backup jobs.
    verifyWait: async (ms) => emu.clock.advance(ms),
    verifyPollIntervalMs: 30_000,
    knownSubscriptions: emu.state.estate.subscriptions.map((s) => s.id.toLowerCase()),
    description: `in-process emulator at ${emu.endpoint} (estate ${estateFile})`,
    planTarget: `estate ${path.resolve(estateFile)}`,
    close: () => emu.stop(),
  };
}

export function azureTarget(endpoint: string): Target {
  // CA for a non-public endpoint (a standalone emulator) comes from NODE_EXTRA_CA_CERTS, read by Node itself.
  const arm = createArmContext({ endpoint, credential: new DefaultAzureCredential() });
  return {
    arm,
    now: () => new Date(),
    description: `ARM at ${arm.endpoint}`,
    planTarget: arm.endpoint,
    close: async () => undefined,
  };
}
