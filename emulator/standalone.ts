// `backup-remediator simulate`: the emulator as a long-running process. The clock runs at real
// speed from the estate's `now`; the one line printed on stdout is the readiness signal scripts wait for.
import { start } from './index';
import { sampleEstatePath } from './sample';

export async function runStandalone(opts: { estate?: string; port: number; caOut?: string }): Promise<void> {
  const emu = await start({ estate: opts.estate ?? sampleEstatePath(), port: opts.port, caOut: opts.caOut, realTimeClock: true });
  process.stdout.write(`listening ${emu.endpoint}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      emu.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
