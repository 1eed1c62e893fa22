// The confirmation `apply` asks for when --yes is not given. Only ever on a terminal: a pipe or a
// scheduler answering "y" by accident must not cause writes.

import * as readline from 'node:readline';
import type { CliIo } from './io';

export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
