// Progress on stderr for long runs. On a terminal one status line is rewritten in place; in logs
// (not a TTY) lines are rate-limited so a 10,000-VM run does not print 10,000 lines.

import type { OutStream } from './io';

export interface Progress {
  report(message: string): void;
  /** Clears the status line (terminal) before the report is printed. */
  done(): void;
}

export function createProgress(stream: OutStream, opts: { quiet?: boolean; minIntervalMs?: number } = {}): Progress {
  if (opts.quiet) return { report: () => undefined, done: () => undefined };
  const tty = stream.isTTY === true;
  const minInterval = opts.minIntervalMs ?? (tty ? 100 : 2000);
  let last = 0;
  let pending: string | undefined;
  let shown = false;
  return {
    report(message) {
      const now = Date.now();
      if (now - last < minInterval) {
        pending = message;
        return;
      }
      last = now;
      pending = undefined;
      if (tty) {
        const width = Math.max(20, (stream.columns ?? 80) - 1);
        stream.write(`\r\x1b[K${message.slice(0, width)}`);
        shown = true;
      } else {
        stream.write(`progress: ${message}\n`);
      }
    },
    done() {
      if (tty && shown) stream.write('\r\x1b[K');
      else if (!tty && pending !== undefined) stream.write(`progress: ${pending}\n`);
      pending = undefined;
      shown = false;
    },
  };
}
