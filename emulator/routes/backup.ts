import type { Router } from '../router';
import type { EmulatorRuntime } from '../runtime';
export function registerBackupRoutes(router: Router, rt: EmulatorRuntime): void {
  void router;
  void rt;
}
