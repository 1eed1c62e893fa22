// The write actions, one module each. Every module re-reads what it depends on just before writing
// (no cache: the plan may be minutes old) and refuses when the facts changed.
import type { ArmContext } from '../arm/clients';
import type { Logger } from '../log';
import type { ActionKind, FindingKind, PlanItem, PlannedAction } from '../types';
import { removeSnapshotExtension } from './remove-snapshot-extension';
import { deleteRestorePointCollection } from './delete-restore-point-collection';
import { triggerBackup } from './trigger-backup';

export interface ActionSettings {
  backupRetentionDays: number;
}

export interface ActionContext {
  /** The plan item the action belongs to (its vmId, failure code and the status of earlier actions). */
  item: PlanItem;
  settings: ActionSettings;
  now: Date;
  log?: Logger;
  /** Longest wait for Backup Now's operation to report its job. Default 5 minutes. */
  operationTimeoutMs?: number;
}

export type PreconditionResult = { ok: true; note?: string } | { ok: false; reason: string; findingKind: FindingKind };

export interface ActionModule {
  kind: ActionKind;
  /** The dry-run description of the write: what, where, why. */
  describe(input: { target: string; reason: string; evidence: Record<string, unknown> }): PlannedAction;
  preconditions(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<PreconditionResult>;
  apply(arm: ArmContext, action: PlannedAction, ctx: ActionContext): Promise<Record<string, unknown>>;
}

export const ACTIONS: Record<ActionKind, ActionModule> = {
  'remove-snapshot-extension': removeSnapshotExtension,
  'delete-restore-point-collection': deleteRestorePointCollection,
  'trigger-backup': triggerBackup,
};

export { removeSnapshotExtension, deleteRestorePointCollection, triggerBackup };
