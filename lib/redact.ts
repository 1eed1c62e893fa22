// Every quantifier is bounded so a long hostile string cannot make a pattern quadratic.
// Anything that looks like a credential is replaced before text leaves the process: answers to
// callers, log lines, ledger reasons. Applied to whole strings (messages, serialized log lines), so
// a secret quoted inside an error message or a setting's value is caught wherever it sits.

export const REDACTED = '[REDACTED]';

const PATTERNS: [RegExp, string][] = [
  // URL userinfo: scheme://user:password@host → scheme://[REDACTED]@host
  [/\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/?#@"'<>]{1,256}@/gi, `$1${REDACTED}@`],
  // Connection strings and key=value settings: AccountKey=, SharedAccessKey=, Password=, client_secret= ...
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|ClientSecret|client_secret|access_token|refresh_token|api[-_]?key|code)=([^;&\s"'<>]+)/gi, `$1=${REDACTED}`],
  // SAS query parameters: sig= (the signature is the secret) and the key-identifying skoid/sktid stay.
  [/([?&]sig=)[^&\s"'<>]+/gi, `$1${REDACTED}`],
  // Authorization headers and bearer tokens.
  [/\b(Bearer|Basic|SharedKey)\s+[A-Za-z0-9._~+/:=-]{8,}/g, `$1 ${REDACTED}`],
  // JSON Web Tokens (three base64url parts, the first a JSON header).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // JSON-ish "key": "value" pairs whose key says secret.
  [/("(?:[a-z_-]{0,40}(?:password|secret|token|accountkey|apikey|api_key|sig|signature|credential)s?)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
  // Base64 storage account keys (88 characters ending in ==).
  [/\b[A-Za-z0-9+/]{86}==/g, REDACTED],
];

/** The text with every credential-looking part replaced by [REDACTED]. */
export function redact(text: string): string {
  let out = String(text);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A JSON-serializable value with every string redacted (serialized, redacted, read back). */
export function redactValue<T>(value: T): T | { redactionFailed: true } {
  try {
    return JSON.parse(redact(JSON.stringify(value))) as T;
  } catch {
    return { redactionFailed: true };
  }
}

/** Whether text holds something `redact` would replace (already-redacted text does not). */
export function looksSecret(text: string): boolean {
  return redact(text) !== text;
}
