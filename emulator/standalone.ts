// `backup-remediator simulate`: the emulator as a long-running process. Unless told to serve the
// dates as written, the estate's times are re-based so that its `now` is the moment the server
// starts (emulator/rebase.ts), and the clock runs at real speed from there: a client on the wall
// clock sees the estate's recent history today as on the day it was written. The one line printed
// on stdout is the readiness signal scripts wait for; anything else goes to `err`.
import { readFileSync } from 'node:fs';
import { start } from './index';
import { describeOffset, rebaseEstate } from './rebase';
import { RequestLogFile } from './request-export';
import { sampleEstatePath } from './sample';

interface Stream {
  write(chunk: string): unknown;
}

export interface StandaloneOptions {
  /** Estate file path or raw estate JSON; omitted: the built-in sample. */
  estate?: string | unknown;
  /** 0 = any free port (the line printed says which). */
  port: number;
  /** Write the CA certificate (PEM) here. */
  caOut?: string;
  /** Serve the estate's dates as written instead of re-basing them to the start time. */
  asWritten?: boolean;
  /** Append every answered request to this file as a JSON line. */
  logOut?: string;
  /** Include request and response bodies in the `logOut` lines (never for token requests). */
  logBodies?: boolean;
  /** Serve the request log at GET /_emulator/requests. */
  logEndpoint?: boolean;
  /** Where the `listening <url>` line goes; default process.stdout. */
  out?: Stream;
  /** Where the one re-basing note goes; default process.stderr. */
  err?: Stream;
  /**
   * Stops the server when aborted, for in-process callers (tests, embedding). SIGINT and SIGTERM
   * stop it too. Either way the promise resolves once the server is closed.
   */
  signal?: AbortSignal;
}

function rawEstate(estate: string | unknown): unknown {
  return typeof estate === 'string' ? JSON.parse(readFileSync(estate, 'utf8')) : estate;
}

/** The estate to serve, re-based unless `asWritten`, and the line saying what moved. */
function estateToServe(opts: StandaloneOptions): { estate: unknown; note?: string } {
  const raw = rawEstate(opts.estate ?? sampleEstatePath());
  if (opts.asWritten) return { estate: raw };
  const r = rebaseEstate(raw, new Date());
  if (!r.from) return { estate: r.estate };
  return {
    estate: r.estate,
    note: `estate times re-based ${describeOffset(r.offsetMs)}: ${r.from.toISOString()} is now ${r.to.toISOString()} (--as-written serves them unchanged)\n`,
  };
}

/** Serves until SIGINT/SIGTERM or `signal` aborts; resolves when the server has stopped. */
export async function runStandalone(opts: StandaloneOptions): Promise<void> {
  const { estate, note } = estateToServe(opts);
  const logFile = opts.logOut !== undefined ? new RequestLogFile(opts.logOut, opts.logBodies ?? false) : undefined;
  const emu = await start({
    estate,
    port: opts.port,
    caOut: opts.caOut,
    realTimeClock: true,
    onRequest: logFile ? (r, bodies) => logFile.write(r, bodies) : undefined,
    exposeRequestLog: opts.logEndpoint ?? false,
  }).catch((e: unknown) => {
    logFile?.close();
    throw e;
  });
  if (note) (opts.err ?? process.stderr).write(note);
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
  logFile?.close();
}
