// The opt-out tag: `backup-remediation: off` on a VM or its resource group keeps the remediator's
// hands off the VM. The planner and every write-time check read it through this one module.

export const OPT_OUT_TAG = 'backup-remediation';

export interface OptOut {
  on: 'vm' | 'resourceGroup';
  key: string;
  value: string;
}

/** The `key: value` of the opt-out tag in `tags`, matched case- and blank-insensitively; else undefined. */
function optOutIn(tags: Record<string, string> | undefined): { key: string; value: string } | undefined {
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (k.trim().toLowerCase() === OPT_OUT_TAG && String(v).trim().toLowerCase() === 'off') return { key: k, value: v };
  }
  return undefined;
}

/** Where the opt-out tag sits: the VM first, then its resource group (whose tags outlive a deleted VM). */
export function optOutSource(vmTags: Record<string, string> | undefined, rgTags: Record<string, string> | undefined): OptOut | undefined {
  const onVm = optOutIn(vmTags);
  if (onVm) return { on: 'vm', ...onVm };
  const onRg = optOutIn(rgTags);
  return onRg ? { on: 'resourceGroup', ...onRg } : undefined;
}
