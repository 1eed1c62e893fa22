// Every route the emulator serves. Resource Graph lives in its own module (graph engineer's).
import type { Router } from '../router';
import type { EmulatorRuntime } from '../runtime';
import { registerArmRoutes } from './arm';
import { registerComputeRoutes } from './compute';
import { registerLockRoutes } from './locks';
import { registerBackupRoutes } from './backup';

type GraphRegistrar = (router: Router) => void;

function resourceGraphRegistrar(): GraphRegistrar | undefined {
  // Loaded lazily so the emulator still starts while the Resource Graph module is being written.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./resourcegraph') as { registerResourceGraphRoutes?: GraphRegistrar }).registerResourceGraphRoutes;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /resourcegraph/.test((e as Error).message)) return undefined;
    throw e;
  }
}

export function registerRoutes(router: Router, rt: EmulatorRuntime): void {
  registerArmRoutes(router, rt);
  registerComputeRoutes(router, rt);
  registerBackupRoutes(router, rt);
  registerLockRoutes(router, rt);
  resourceGraphRegistrar()?.(router);
}
