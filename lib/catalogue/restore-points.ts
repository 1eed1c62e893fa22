// Restore-point exhaustion: at most 18 instant restore points per VM. The engine may delete the VM's own
// collection (never a lock) and then back up.
import type { CatalogueEntry } from './types';
import { msg, snapshotTimeoutDoc } from './patterns';
import { cs2021, phrase, pt2021, ru2021, service, zh2021 } from './sources';
import {
  AGENT_OUTDATED_LINUX,
  AGENT_UNRESPONSIVE_WINDOWS,
  EXTENSION_FAILS_TO_LOAD,
  NO_INTERNET_ACCESS,
  RESTORE_POINTS_LOCKED,
  SNAPSHOT_STATUS_UNAVAILABLE,
  cause,
  withFix,
} from './causes';

export const RESTORE_POINT_ENTRIES: CatalogueEntry[] = [
  {
    code: 'BackUpOperationFailed',
    aliases: ['BackUpOperationFailedV2'],
    numericCodes: [],
    title: 'Backup failed with an internal error',
    automation: 'auto',
    // Retry, after the restore-point limit and a stuck extension are ruled out or fixed.
    fixes: ['remove-snapshot-extension', 'delete-restore-point-collection', 'trigger-backup'],
    messages: [
      msg('en', 'Backup failed with an internal error - Please retry the operation in a few minutes'),
      msg('cs', 'Zálohování selhalo s interní chybou – Zkuste prosím tuto operaci za několik minut'),
      msg('ru', 'Произошла внутренняя ошибка архивации. Повторите операцию через несколько минут'),
      msg('pt', 'cópia de segurança falhou com um erro interno -. Repita a operação dentro de alguns minutos'),
      msg('pt', 'cópia de segurança falhou com um erro interno - Repita a operação dentro de alguns minutos'),
      msg('zh-TW', '備份因為內部錯誤而失敗 - 請在幾分鐘內重試此作業'),
      cs2021('cs', 'Zálohování selhalo s interní chybou – zkuste prosím operaci zopakovat za pár minut'),
      ru2021('ru', 'Произошла внутренняя ошибка службы Backup. Повторите операцию через несколько минут'),
      pt2021('pt', 'Cópia de segurança falhou com um erro interno - Por favor, tente novamente a operação em poucos minutos'),
    ],
    causes: [
      NO_INTERNET_ACCESS,
      AGENT_UNRESPONSIVE_WINDOWS,
      AGENT_OUTDATED_LINUX,
      SNAPSHOT_STATUS_UNAVAILABLE,
      withFix(EXTENSION_FAILS_TO_LOAD, 'remove-snapshot-extension'),
      withFix(RESTORE_POINTS_LOCKED, 'delete-restore-point-collection'),
    ],
    docUrl: snapshotTimeoutDoc({ name: 'backup-fails-with-an-internal-error' }),
  },
  {
    code: 'UserErrorRpCollectionLimitReached',
    aliases: [],
    numericCodes: [],
    title: 'The Restore Point collection max limit has reached',
    automation: 'auto',
    fixes: ['delete-restore-point-collection', 'trigger-backup'],
    messages: [
      msg('en', 'The Restore Point collection max limit has reached'),
      phrase('en', 'Restore Point collection max limit'),
      // What the compute platform says underneath (quoted by users as "OperationNotAllowed : ...").
      service('en', 'The number of restore points across restore point collections and resource groups for a VM cannot exceed 18'),
      cs2021('cs', 'dosáhlo se maximálního limitu kolekce bodů obnovení'),
      ru2021('ru', 'Достигнуто максимальное количество точек восстановления в коллекции'),
      zh2021('zh-TW', '已達到還原點集合上限'),
    ],
    causes: [
      RESTORE_POINTS_LOCKED,
      cause(
        'several-backups-per-day',
        'Several backups a day fill the 18 instant restore points before the retention (1-5 days) frees them.',
        'restore-point-limit',
        'Keep one backup a day.',
        'Reduce the backup policy (and ad-hoc Backup Now runs) to one backup a day for this VM.',
      ),
      cause(
        'restore-point-limit-reached',
        "The VM's restore points across all its collections and resource groups reached 18.",
        'restore-point-limit',
        'Delete existing restore points (clean up the restore point collection) so a new one can be created.',
        "Delete the VM's restore point collection named in the finding (AzureBackup_<vm>...), then run Backup Now.",
        'delete-restore-point-collection',
      ),
    ],
    docUrl: snapshotTimeoutDoc({ heading: 'UserErrorRpCollectionLimitReached - The Restore Point collection max limit has reached' }),
  },
];
