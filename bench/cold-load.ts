// Cold load of the Function App entry point (package.json "main", dist/functions/index.js): each
// run is a fresh Node process that requires it with a recording @azure/functions-core, as the
// worker does at start. Prints the median wall time and CPU time of several runs.
//   npm run build && node dist/bench/cold-load.js [appDir] [--runs 7]
// appDir defaults to this checkout; pass an extracted deployment package to time what ships.
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '..', '..');
const LOADER = join(ROOT, 'test', 'helpers', 'load-functions.js');

interface Load {
  node: string;
  loadMs: number;
  cpuMs: number;
  modules: number;
  functions: unknown[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(argv: string[]): void {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 7;
  const appDir = resolve(argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--runs') ?? ROOT);
  // Node 22 (the runtime Azure Functions runs) from the `node` devDependency when present.
  const node = existsSync(join(ROOT, 'node_modules', '.bin', 'node')) ? join(ROOT, 'node_modules', '.bin', 'node') : process.execPath;
  const loads: Load[] = [];
  for (let i = 0; i < runs; i++) loads.push(JSON.parse(execFileSync(node, [LOADER, appDir], { encoding: 'utf8' })) as Load);
  const wall = loads.map((l) => l.loadMs);
  const cpu = loads.map((l) => l.cpuMs);
  console.log(
    JSON.stringify(
      {
        appDir,
        node: loads[0].node,
        runs,
        functions: loads[0].functions.length,
        modules: loads[0].modules,
        medianWallMs: Math.round(median(wall)),
        medianCpuMs: Math.round(median(cpu)),
        wallMs: wall.map(Math.round),
      },
      null,
      2,
    ),
  );
}

main(process.argv.slice(2));
