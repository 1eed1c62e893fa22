// Codes whose fix lies with the VM agent, the guest or the network: the engine reports, never writes.
// Causes stay listed (with their checks) so the planner can say which one the ARM data confirms.
import type { CatalogueEntry } from './types';
import { msg, snapshotTimeoutDoc, vmsTroubleshootDoc } from './patterns';
import { cs2021, phrase, ru2021, service, zh2021 } from './sources';
import {
  AGENT_CONFIG_LINUX,
  AGENT_OUTDATED_LINUX,
  AGENT_UNRESPONSIVE_WINDOWS,
  APP_CONTROL_BLOCKS_EXTENSION,
  EXTENSION_FAILS_TO_LOAD,
  NO_INTERNET_ACCESS,
  SNAPSHOT_STATUS_UNAVAILABLE,
  cause,
} from './causes';

export const AGENT_ENTRIES: CatalogueEntry[] = [
  {
    code: 'UserErrorGuestAgentStatusUnavailable',
    aliases: [],
    numericCodes: [],
    title: 'VM agent unable to communicate with Azure Backup',
    automation: 'report-only',
    fixes: [],
    messages: [
      msg('en', 'VM Agent unable to communicate with Azure Backup'),
      msg('cs', 'Agent virtuálního počítače moci komunikovat se službou Azure Backup'),
      msg('ru', 'Агенту виртуальной машины не удается установить связь со службой Azure Backup'),
      msg('pt', 'Agente da VM não é possível comunicar com o Backup do Azure'),
      msg('zh-TW', 'VM 代理程式無法與 Azure 備份通訊'),
      service('en', 'VM agent is unable to communicate with the Azure Backup Service'),
      cs2021('cs', 'Agent virtuálního počítače nemůže komunikovat s Azure Backup'),
      cs2021('cs', 'Agent virtuálního počítače nemůže komunikovat se službou Azure Backup'),
      ru2021('ru', 'агенту виртуальной машины не удалось связаться с Azure Backup'),
    ],
    causes: [NO_INTERNET_ACCESS, AGENT_UNRESPONSIVE_WINDOWS, AGENT_OUTDATED_LINUX, SNAPSHOT_STATUS_UNAVAILABLE, EXTENSION_FAILS_TO_LOAD],
    docUrl: snapshotTimeoutDoc({ name: 'vm-agent-unable-to-communicate-with-azure-backup' }),
  },
  {
    code: 'GuestAgentSnapshotTaskStatusError',
    aliases: [],
    numericCodes: [],
    title: 'Could not communicate with the VM agent for snapshot status',
    automation: 'report-only',
    fixes: [],
    messages: [
      // The 2016 message continues with "- Snapshot VM sub task timed out": that longer form is its own entry.
      msg('en', 'Could not communicate with the VM agent for snapshot status', { notFollowedBy: 'snapshot vm sub task' }),
      msg('en', 'Unable to perform the operation as the VM Agent is not responsive'),
      msg('cs', 'Nejde komunikovat s agentem virtuálního počítače kvůli stavu snímku'),
      msg('ru', 'Не удалось выполнить операцию, так как агент виртуальной машины не отвечает'),
      msg('pt', 'Não é possível efetuar a operação dado que o agente da VM não está a responder'),
      msg('zh-TW', '無法執行操作，因為 VM 代理程式沒有回應'),
      phrase('en', 'the VM Agent is not responsive'),
      cs2021('cs', 'nepovedlo se komunikovat s agentem virtuálního počítače pro stav snímku'),
      ru2021('ru', 'Не удалось запросить состояние моментального снимка в агенте виртуальной машины'),
      zh2021('zh-TW', '無法與 VM 代理程式通訊來取得快照集狀態'),
    ],
    causes: [AGENT_UNRESPONSIVE_WINDOWS, AGENT_OUTDATED_LINUX, NO_INTERNET_ACCESS, SNAPSHOT_STATUS_UNAVAILABLE, AGENT_CONFIG_LINUX, APP_CONTROL_BLOCKS_EXTENSION],
    docUrl: snapshotTimeoutDoc({ name: 'backup-fails-because-the-vm-agent-is-unresponsive' }),
  },
  {
    // The 2016 article documents this failure by its message only; no symbolic code was ever published,
    // so the catalogue names it after the message. Its causes follow the 2016 article's order.
    code: 'SnapshotVMSubTaskTimedOut',
    aliases: [],
    numericCodes: [],
    title: 'Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out (2016 form)',
    automation: 'report-only',
    fixes: [],
    messages: [
      msg('en', 'Could not communicate with the VM agent for snapshot status - Snapshot VM sub task timed out'),
      msg('cs', 'Nelze komunikovat s agentem OM snímek stavu - vypršel časový limit snímek OM dílčí úkol'),
      msg('cs', 'Nelze komunikovat s agentem OM snímek stavu - snímek OM dílčí úkol vypršení časového limitu'),
    ],
    causes: [NO_INTERNET_ACCESS, AGENT_OUTDATED_LINUX, EXTENSION_FAILS_TO_LOAD, SNAPSHOT_STATUS_UNAVAILABLE],
    docUrl: snapshotTimeoutDoc({ name: 'azure-vm-backup-fails-could-not-communicate-with-the-vm-agent-for-snapshot-status---snapshot-vm-sub-task-timed-out' }),
  },
  {
    code: 'ExtensionSnapshotFailedNoNetwork',
    aliases: [],
    numericCodes: [],
    title: 'Snapshot operation failed due to no network connectivity on the virtual machine',
    automation: 'report-only',
    fixes: [],
    messages: [
      msg('en', 'Snapshot operation failed due to no network connectivity on the virtual machine'),
      msg('cs', 'Snímku operace se nezdařila z důvodu žádné připojení k síti na virtuálním počítači'),
      msg('ru', 'Сбой операции моментального снимка, отсутствует сетевое подключение у виртуальной машины'),
      msg('pt', 'A operação falhou devido a sem conectividade de rede na máquina virtual de instantâneos'),
      msg('zh-TW', '因為虛擬機器沒有網路連線，所以快照集作業失敗'),
      phrase('en', 'no network connectivity on the virtual machine'),
      cs2021('cs', 'operace snímku selhala, protože ve virtuálním počítači není síťové připojení'),
      zh2021('zh-TW', '快照集作業因虛擬機器沒有網路連線而失敗'),
    ],
    causes: [NO_INTERNET_ACCESS, SNAPSHOT_STATUS_UNAVAILABLE, EXTENSION_FAILS_TO_LOAD],
    docUrl: snapshotTimeoutDoc({ name: 'snapshot-operation-failed-due-to-no-network-connectivity-on-the-virtual-machine' }),
  },
  {
    code: 'AzureVmOffline',
    aliases: [],
    numericCodes: [380008],
    title: 'Failed to install Microsoft Recovery Services extension as virtual machine is not running',
    automation: 'report-only',
    fixes: [],
    messages: [
      msg('en', 'Failed to install Microsoft Recovery Services extension as virtual machine is not running'),
      phrase('en', 'Failed to install Microsoft Recovery Services extension'),
    ],
    causes: [
      cause(
        'vm-agent-missing',
        'The VM agent, a prerequisite of the Recovery Services extension, is missing or not installed correctly.',
        'agent-ready',
        'Install the Azure VM agent, check the VM config flag for it, then restart the registration.',
        'Install (or repair) the Azure VM agent in the VM, confirm the portal shows it Ready, then re-run the backup registration / Backup Now.',
      ),
    ],
    docUrl: vmsTroubleshootDoc('380008, AzureVmOffline - Failed to install Microsoft Recovery Services extension as virtual machine  is not running'),
  },
];
