#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript; `npm run build` (run by `npm start`) produces dist/.
require('../dist/cli/main.js');
