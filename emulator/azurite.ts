// Starts Azurite (the Azure Storage emulator) as a child process on free loopback ports, for tests
// and benchmarks. Azurite is a devDependency, so this lives with the emulator, outside the app
// package; the CLI without configured storage uses cli/local-tables.ts instead.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The well-known development account every Azurite instance accepts (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Do not forward Azurite's stderr to ours (stdout is always consumed to learn the ports). */
  silent?: boolean;
  /** Give up if Azurite has not reported its ports within this time. Default 60 s (loaded CI machines are slow). */
  startTimeoutMs?: number;
}

export interface AzuriteInstance {
  connectionString: string;
  tableEndpoint: string;
  queueEndpoint: string;
  blobEndpoint: string;
  /** Milliseconds from spawn until all three services listened. */
  startupMs: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

export class AzuriteUnavailableError extends Error {}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/127\.0\.0\.1:(\d+))/g;

function resolveAzuriteMain(): string {
  let pkgJson: string;
  try {
    pkgJson = require.resolve('azurite/package.json');
  } catch {
    throw new AzuriteUnavailableError(
      'No storage configured and Azurite is not installed (it is a development dependency). ' +
        'Set AzureWebJobsStorage to a storage connection string (or AzureWebJobsStorage__accountName ' +
        'for identity-based access), or install dev dependencies to use the local emulator.',
    );
  }
  const main = path.join(path.dirname(pkgJson), 'dist', 'src', 'azurite.js');
  if (!fs.existsSync(main)) throw new AzuriteUnavailableError(`Azurite is installed but ${main} is missing`);
  return main;
}

// Azurite 3.37 needs Node 22. Under an older runtime, fall back to the `node` devDependency's binary.
function nodeBinary(): string {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return process.execPath;
  try {
    const candidate = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
    if (fs.existsSync(candidate)) return candidate;
  } catch {
    /* not installed: try the current runtime and let Azurite report the problem */
  }
  return process.execPath;
}

function connectionStringFor(blob: string, queue: string, table: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${blob}`,
    `QueueEndpoint=${queue}`,
    `TableEndpoint=${table}`,
  ].join(';') + ';';
}

// Children still running when this process exits would hold their ports; kill them on the way out.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
    // Ctrl-C on the CLI ends the process without an 'exit' event: stop Azurite, then let the
    // signal do what it would have done had we not listened (unless someone else handles it).
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const onSignal = () => {
        for (const c of live) c.kill('SIGKILL');
        process.removeListener(sig, onSignal);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, onSignal);
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts Azurite with in-memory persistence on three free loopback ports (port 0: the kernel picks,
 * Azurite prints the ports it got). Resolves once blob, queue and table services all listen.
 */
export async function startAzurite(opts: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const main = resolveAzuriteMain();
  const started = performance.now();
  // A private cwd: Azurite may still create small files (e.g. debug logs) in its working directory.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const cleanup = async () => {
    await stopChild(child);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  const child = spawn(
    nodeBinary(),
    [
      main,
      '--blobHost', '127.0.0.1', '--blobPort', '0',
      '--queueHost', '127.0.0.1', '--queuePort', '0',
      '--tableHost', '127.0.0.1', '--tablePort', '0',
      '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: workDir },
  );
  trackChild(child);

  const endpoints: Partial<Record<'Blob' | 'Queue' | 'Table', string>> = {};
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(
        () => reject(new Error(`Azurite did not start within ${opts.startTimeoutMs ?? 60000} ms. stderr: ${stderr.trim()}`)),
        opts.startTimeoutMs ?? 60000,
      );
      const done = (err?: Error) => {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        if (err) reject(err);
        else resolve();
      };
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        stdout += chunk;
        for (const m of stdout.matchAll(LISTENING)) endpoints[m[1] as 'Blob' | 'Queue' | 'Table'] = m[2];
        if (endpoints.Blob && endpoints.Queue && endpoints.Table) done();
      });
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        if (!opts.silent) process.stderr.write(chunk);
      });
      child.once('error', (e) => done(new Error(`Could not start Azurite: ${e.message}`)));
      child.once('exit', (code, signal) =>
        done(new Error(`Azurite exited during startup (code ${code}, signal ${signal}): ${(stderr || stdout).trim()}`)),
      );
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  // Keep draining stdout so a chatty child never blocks on a full pipe.
  child.stdout!.resume();
  child.removeAllListeners('exit');
  child.once('exit', () => live.delete(child));

  const blobEndpoint = `${endpoints.Blob}/${AZURITE_ACCOUNT}`;
  const queueEndpoint = `${endpoints.Queue}/${AZURITE_ACCOUNT}`;
  const tableEndpoint = `${endpoints.Table}/${AZURITE_ACCOUNT}`;
  return {
    connectionString: connectionStringFor(blobEndpoint, queueEndpoint, tableEndpoint),
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    startupMs: Math.round(performance.now() - started),
    pid: child.pid,
    stop: cleanup,
  };
}
