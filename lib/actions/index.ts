// The registry of write actions, one module each (see lib/actions/types.ts for what a module owns).
// The planner iterates it, the engine runs its preconditions and apply, diagnosis reads the facts its
// rules ask for and test/permissions.test.ts checks its RBAC operations against the roles in infra/.
// Every module re-reads what it depends on just before writing (no cache: the plan may be minutes
// old) and refuses when the facts changed.
import type { ActionKind } from '../types';
import { deleteRestorePointCollection } from './delete-restore-point-collection';
import { removeSnapshotExtension } from './remove-snapshot-extension';
import { runGuestFix } from './run-guest-fix';
import { triggerBackup } from './trigger-backup';
import type { ActionModule } from './types';

export type { ActionContext, ActionModule, ActionSettings, PlanCatalogueEntry, PlanContext, PlanOptions, PlanStep, PreconditionResult } from './types';

/** Every ActionKind has exactly one module, and each module is registered under its own kind. */
export const ACTIONS: { readonly [K in ActionKind]: ActionModule<K> } = {
  'remove-snapshot-extension': removeSnapshotExtension,
  'delete-restore-point-collection': deleteRestorePointCollection,
  'run-guest-fix': runGuestFix,
  'trigger-backup': triggerBackup,
};

export function actionModule(kind: ActionKind): ActionModule {
  return ACTIONS[kind] as ActionModule;
}

export { removeSnapshotExtension, deleteRestorePointCollection, runGuestFix, triggerBackup };
