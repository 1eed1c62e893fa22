// Turns --subscription/--vault/--vm/--since into a validated run scope. Everything here happens
// before any request is made, so a malformed id can never reach ARM, let alone cause a write.

import { InvalidResourceIdError, parseSubscriptionId, parseVaultId, parseVmId } from '../lib/arm/ids';
import { parseDuration } from '../lib/config';
import type { RunScope } from '../lib/engine';
import { UsageError } from './exit-codes';

export interface ScopeFlags {
  subscription?: string[];
  vault?: string;
  vm?: string;
}

export interface ResolvedScope {
  scope: RunScope;
  /** Subscriptions the scope touches (explicit, or those of the vault / VM); empty = decided later. */
  subscriptions: string[];
  /** Human description for messages. */
  label: string;
}

function rethrow(flag: string, value: string, e: unknown): never {
  if (e instanceof InvalidResourceIdError) throw new UsageError(`${flag} ${JSON.stringify(value)}: ${e.message}`);
  throw e;
}

export function resolveScope(flags: ScopeFlags): ResolvedScope {
  const given = [flags.subscription?.length ? '--subscription' : '', flags.vault ? '--vault' : '', flags.vm ? '--vm' : ''].filter(Boolean);
  if (given.length > 1) {
    throw new UsageError(`${given.join(' and ')} cannot be combined: give the one scope to work on`);
  }
  if (flags.vm !== undefined) {
    let vm;
    try {
      vm = parseVmId(flags.vm);
    } catch (e) {
      rethrow('--vm', flags.vm, e);
    }
    return { scope: { vmId: vm.id }, subscriptions: [vm.subscriptionId.toLowerCase()], label: `VM ${vm.id}` };
  }
  if (flags.vault !== undefined) {
    let vault;
    try {
      vault = parseVaultId(flags.vault);
    } catch (e) {
      rethrow('--vault', flags.vault, e);
    }
    return { scope: { vaultId: vault.id }, subscriptions: [vault.subscriptionId.toLowerCase()], label: `vault ${vault.id}` };
  }
  if (flags.subscription && flags.subscription.length > 0) {
    const subs = flags.subscription.map((s) => {
      try {
        return parseSubscriptionId(s).toLowerCase();
      } catch (e) {
        return rethrow('--subscription', s, e);
      }
    });
    const unique = [...new Set(subs)];
    return { scope: { subscriptions: unique }, subscriptions: unique, label: `subscription${unique.length > 1 ? 's' : ''} ${unique.join(', ')}` };
  }
  return { scope: {}, subscriptions: [], label: '' };
}

const MAX_SINCE_MS = 366 * 86_400_000;

/** `--since 6h` → milliseconds; the look-back window the run uses instead of REMEDIATION_LOOKBACK. */
export function parseSince(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--since ${JSON.stringify(text)}: expected a duration such as 30m, 24h, 2d or PT24H`);
  }
  // The same bound as REMEDIATION_LOOKBACK: past it the window's start is not a valid date.
  if (ms > MAX_SINCE_MS) throw new UsageError(`--since ${JSON.stringify(text)}: the look-back window is at most 366d`);
  return ms;
}
