// Service error text as it really arrives: wrapped by the layer that relayed it ("OperationNotAllowed :
// <message>", "(<Code>) <message>", "<Code> - <message>"), followed by recommendations or activity ids,
// in compatibility forms (full-width punctuation, typographic quotes, no-break spaces). This module
// turns it into the part that carries the documented message, so patterns match the message itself
// and never a sentence of the advice that follows it.

// Generic ARM/relay codes that say how a failure was relayed, not which failure it is. Seen in an
// errorCode they are not an unknown failure code (the message decides); they never name an entry.
const RELAY_CODES = new Set(
  ['OperationNotAllowed', 'BadRequest', 'Conflict', 'InternalServerError', 'InternalError', 'CloudInternalError',
    'UserError', 'Failed', 'Error', 'ServiceError', 'DeploymentFailed', 'ResourceDeploymentFailure'].map((c) => c.toLowerCase()),
);

/** True for a relay code such as `OperationNotAllowed`: a wrapper, not a failure identity. */
export function isRelayCode(code: string): boolean {
  return RELAY_CODES.has(code.trim().toLowerCase());
}

// Where the service's advice or bookkeeping starts; everything from there on is not the message.
// Labels in the catalogue's languages: en, cs, ru, pt, zh-TW.
const TRAILER = new RegExp(
  [
    'Recommended\\s+actions?\\s*[:：]',
    'Recommendations?\\s*[:：|]',
    '(?:Activity|Correlation|Tracking|Request|Operation)\\s*-?\\s*ID\\s*[:：=]',
    'Doporučená\\s+akce\\s*[:：]',
    'Рекомендуемое\\s+действие\\s*[:：]',
    'Ação\\s+recomendada\\s*[:：]',
    '建議的動作\\s*[:：]',
  ].join('|'),
  'iu',
);

// A relay code in front of the message: "OperationNotAllowed : ", "(UserErrorX) ", "UserErrorX - ".
const LEADING_CODE = /^\s*(?:\(\s*([A-Za-z][A-Za-z0-9_]*)\s*\)\s*[:：-]?\s*|([A-Za-z][A-Za-z0-9_]*)\s*(?:[:：]|\s[-\u2013\u2014])\s+)/u;

/** Folds compatibility forms and invisible characters so a translated or pasted message matches. */
export function normalizeServiceText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u200b-\u200d\u2060\ufeff]/gu, '')
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/gu, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d]/gu, '"')
    .replace(/\s+/gu, ' ')
    .trim();
}

export interface ServiceText {
  /** The part that carries the failure's message, normalized. */
  core: string;
  /** Codes the relaying layer put in front of the message, outermost first. */
  leadingCodes: string[];
  /** Recommendations, activity ids and similar that followed the message (empty when none). */
  trailer: string;
}

/** Splits service text into leading relay codes, the message core and the trailing advice. */
export function splitServiceText(raw: string): ServiceText {
  let text = normalizeServiceText(raw);
  const leadingCodes: string[] = [];
  for (let m = LEADING_CODE.exec(text); m && leadingCodes.length < 4; m = LEADING_CODE.exec(text)) {
    leadingCodes.push(m[1] ?? m[2]);
    text = text.slice(m[0].length);
  }
  const t = TRAILER.exec(text);
  return t && t.index > 0
    ? { core: text.slice(0, t.index).trim(), leadingCodes, trailer: text.slice(t.index).trim() }
    : { core: text, leadingCodes, trailer: '' };
}
