// The error catalogue: every documented VM-backup error code, as data. Lookups are case-insensitive
// and accept aliases (legacy spellings, V2 forms).
import { AGENT_ENTRIES } from './agent';
import { BACKUP_SERVICE_ENTRIES } from './backup-service';
import { EXTENSION_ENTRIES } from './extension';
import { GUEST_ENTRIES } from './guest';
import { RESTORE_POINT_ENTRIES } from './restore-points';
import type { CatalogueEntry } from './types';

export type { CatalogueEntry, Cause, CheckKind, MessageLanguage, MessagePattern } from './types';

/** Order matters only where a documented message is shared: the earlier entry owns it (see classify). */
export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  ...EXTENSION_ENTRIES,
  ...RESTORE_POINT_ENTRIES,
  ...BACKUP_SERVICE_ENTRIES,
  ...AGENT_ENTRIES,
  ...GUEST_ENTRIES,
]);

const BY_NAME = new Map<string, CatalogueEntry>();
for (const entry of CATALOGUE) {
  for (const name of [entry.code, ...entry.aliases]) {
    const key = name.toLowerCase();
    const existing = BY_NAME.get(key);
    if (existing && existing !== entry) throw new Error(`catalogue: ${name} is claimed by ${existing.code} and ${entry.code}`);
    BY_NAME.set(key, entry);
  }
}

const BY_NUMBER = new Map<number, CatalogueEntry>();
for (const entry of CATALOGUE) for (const n of entry.numericCodes) BY_NUMBER.set(n, entry);

/** The entry for a symbolic code or alias, case-insensitively; `<Code>V2` folds onto `<Code>`. */
export function catalogueEntry(code: string): CatalogueEntry | undefined {
  if (typeof code !== 'string') return undefined;
  const key = code.trim().toLowerCase();
  const direct = BY_NAME.get(key);
  if (direct) return direct;
  return key.endsWith('v2') ? BY_NAME.get(key.slice(0, -2)) : undefined;
}

/** The entry for a documented numeric error code. */
export function catalogueEntryByNumber(n: number): CatalogueEntry | undefined {
  return BY_NUMBER.get(n);
}
