// Every route the emulator serves. Resource Graph lives in its own module (graph engineer's).
import type { Router } from '../router';
import type { EmulatorRuntime } from '../runtime';
import { registerArmRoutes } from './arm';
import { registerComputeRoutes } from './compute';
import { registerLockRoutes } from './locks';
import { registerNetworkRoutes } from './network';
import { registerBackupRoutes } from './backup';
import { registerResourceGraphRoutes } from './resourcegraph';
import { registerRunCommandRoutes } from './run-command';

export function registerRoutes(router: Router, rt: EmulatorRuntime): void {
  registerArmRoutes(router, rt);
  registerComputeRoutes(router, rt);
  registerBackupRoutes(router, rt);
  registerLockRoutes(router, rt);
  registerNetworkRoutes(router, rt);
  registerResourceGraphRoutes(router);
  registerRunCommandRoutes(router, rt);
}
