// Where the built-in sample estate lives. The JSON stays at <package root>/emulator/ (it is data, not
// compiled), so resolve it from the package root whether this runs from ts-jest (emulator/) or from
// the build (dist/emulator/).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SAMPLE = join('emulator', 'sample-estate.json');

export function sampleEstatePath(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, SAMPLE);
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`sample estate not found: looked for ${SAMPLE} in the folders above ${__dirname}`);
}
