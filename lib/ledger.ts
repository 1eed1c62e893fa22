// The ledger: what the remediator remembers between runs (Azure Table Storage via @azure/data-tables).
// Implementation in lib/ledger/; this module is the public surface other modules import.
export type {
  AttemptRecord,
  FailureRecord,
  Lease,
  Ledger,
  LedgerOptions,
  LedgerTable,
  PendingVerification,
  RunningRun,
  RunStart,
  RunStatus,
  StoredRun,
  WritePhase,
  WriteRecord,
} from './ledger/types';
export { createLedger } from './ledger/table-ledger';
export { LedgerStorageError } from './ledger/tables';
export { storageFromEnv, type StorageConfig } from './ledger/storage-config';
export { idKey } from './ledger/keys';
