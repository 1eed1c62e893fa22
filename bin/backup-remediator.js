#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript: `npm run build` (also run by `npm start`) produces dist/.
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main/.test(String(e.message))) {
    process.stderr.write('backup-remediator is not built yet: run `npm run build` in its folder first.\n');
    process.exit(1);
  }
  throw e;
}
cli.runFromProcess();
