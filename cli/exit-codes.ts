// Exit codes of `backup-remediator`. Scripts and pipelines branch on these, so they are part of
// the CLI's contract (also printed by `--help`).

export const EXIT = {
  /** The run completed: every attempted write succeeded and nothing was escalated (plans always end here). */
  ok: 0,
  /** Unexpected internal error (a bug or an outage): see the message on stderr. */
  internal: 1,
  /** Bad input or configuration (malformed id, unknown subscription, unreadable estate, bad setting). Nothing was written. */
  badInput: 2,
  /** The run completed but a write failed or a verification escalated: a human must look. */
  completedWithFailures: 3,
  /** `apply` was not confirmed (declined, or no --yes without a terminal). Nothing was written. */
  notConfirmed: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    run completed; no failed write and no escalation (a plan always ends 0 when it ran)
  1    unexpected internal error
  2    bad input or configuration (malformed id, unknown subscription, unreadable estate): nothing was written
  3    run completed with failed writes or escalated (or expired) verifications
  4    apply not confirmed (declined, or stdin is not a terminal and --yes was not given): nothing was written
  130  interrupted`;

/** Input the user can fix; exits with EXIT.badInput and the message, never with a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
