// The shape of the error catalogue (contract B). The data lives in the family files next to this one.
import type { ActionKind, AutomationClass } from '../types';

/** How a cause is confirmed or ruled out from ARM data; 'manual' = only a human inside the guest can tell. */
export type CheckKind =
  | 'outbound-connectivity'
  | 'agent-ready'
  | 'agent-version'
  | 'vm-running'
  | 'vm-provisioning-state'
  | 'snapshot-extension-state'
  | 'restore-point-limit'
  | 'collection-lock'
  | 'backup-in-progress'
  | 'manual';

export type MessageLanguage = 'en' | 'cs' | 'ru' | 'pt' | 'zh-TW';

export interface Cause {
  id: string;
  summary: string;
  check: CheckKind;
  /** What the article says to do. */
  fix: string;
  /** The exact next step for a human. */
  nextStep: string;
  /** Set when one of our write actions is this cause's documented fix (always one of the entry's `fixes`). */
  automatedFix?: ActionKind;
}

export interface MessagePattern {
  language: MessageLanguage;
  pattern: RegExp;
  /** The documented message the pattern was built from (kept for tests and reports). */
  text: string;
  /**
   * Where this wording comes from (article version, translation, service response), so historical
   * wordings stay beside the current one with their provenance. See docs/catalogue.md#sources.
   */
  source?: string;
}

export interface CatalogueEntry {
  /** Canonical symbolic code. */
  code: string;
  /** Other spellings of the same code (legacy typos, V2 forms, UserError-prefixed forms). */
  aliases: string[];
  numericCodes: number[];
  messages: MessagePattern[];
  title: string;
  automation: AutomationClass;
  /** Write actions the documented fix allows, in order. */
  fixes: ActionKind[];
  /** Ordered as in the article. */
  causes: Cause[];
  docUrl: string;
}
