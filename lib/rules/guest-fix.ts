// When a guest fix may be planned: shared by the planner's entry gate and the run-guest-fix rule.
import type { ActionKind } from '../types';

/**
 * A report-only entry whose fixes include run-guest-fix acts only when REMEDIATION_GUEST_FIX_CODES
 * lists its code (then it is opted in by that setting); otherwise it is exactly as report-only as any
 * other entry.
 */
export function guestFixEnabled(entry: { code: string; fixes: readonly ActionKind[] }, opts: { guestFixCodes?: readonly string[] }): boolean {
  const code = entry.code.toLowerCase();
  return entry.fixes.includes('run-guest-fix') && (opts.guestFixCodes ?? []).some((c) => c.toLowerCase() === code);
}
