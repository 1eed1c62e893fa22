// The streams and environment a CLI invocation uses, injectable so tests run the program in-process.

import type { Emulator } from '../emulator/index';

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Called with each in-process emulator the command starts (tests read its request log). */
  onEmulator?: (emulator: Emulator) => void;
  /** Ends a long-running command (`simulate`) as SIGTERM would; for in-process callers and tests. */
  signal?: AbortSignal;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
