#!/usr/bin/env node
// Loads a Function App the way the Node worker does — `require(<app>/<package.json main>)` in a
// fresh process — with a recording `@azure/functions-core` (functions-core-recorder.js), and prints
// { node, loadMs, cpuMs, modules, functions: [metadata...], hooks: [...] } as JSON on stdout.
// Usage: node load-functions.js <appDir>. Nothing else is put on the module path: an app folder
// extracted from the deployment package resolves its dependencies from its own node_modules only.
'use strict';

const Module = require('module');
const path = require('path');

const RECORDER = path.join(__dirname, 'functions-core-recorder.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === '@azure/functions-core' ? RECORDER : resolve.call(this, request, ...rest);
};
const recorder = require(RECORDER);

const appDir = path.resolve(process.argv[2] || '.');
const pkg = require(path.join(appDir, 'package.json'));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
require(path.join(appDir, pkg.main));
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(
  JSON.stringify({ node: process.version, loadMs, cpuMs, modules: Object.keys(require.cache).length, functions: recorder.functions.map((f) => f.metadata), hooks: recorder.hooks }),
);
