// `backup-remediator simulate`: the emulator as a long-running process. The clock runs at real
// speed from the estate's `now`; the one line printed on stdout is the readiness signal scripts wait for.
import { start } from './index';
import { sampleEstatePath } from './sample';

export interface StandaloneOptions {
  /** Estate file path or raw estate JSON; omitted: the built-in sample. */
  estate?: string | unknown;
  /** 0 = any free port (the line printed says which). */
  port: number;
  /** Write the CA certificate (PEM) here. */
  caOut?: string;
  /** Where the `listening <url>` line goes; default process.stdout. */
  out?: { write(chunk: string): unknown };
  /**
   * Stops the server when aborted, for in-process callers (tests, embedding). SIGINT and SIGTERM
   * stop it too. Either way the promise resolves once the server is closed.
   */
  signal?: AbortSignal;
}

/** Serves until SIGINT/SIGTERM or `signal` aborts; resolves when the server has stopped. */
export async function runStandalone(opts: StandaloneOptions): Promise<void> {
  const emu = await start({ estate: opts.estate ?? sampleEstatePath(), port: opts.port, caOut: opts.caOut, realTimeClock: true });
  (opts.out ?? process.stdout).write(`listening ${emu.endpoint}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      opts.signal?.removeEventListener('abort', stop);
      emu.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
}
