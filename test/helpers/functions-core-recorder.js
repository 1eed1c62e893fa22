// A recording stand-in for `@azure/functions-core`, the module the Azure Functions Node worker
// provides to the app at run time. With it present, the real `@azure/functions` library leaves
// test mode and hands each registration to it exactly as it would to the worker: the function
// metadata (name, bindings with type/direction/settings, retry) the host reads. Used by jest
// (moduleNameMapper, so the suite registers functions without the "test mode" warnings) and by
// load-functions.js (a clean Node process loading the app's `main`). Requires nothing itself.
'use strict';

/** Every registerFunction call: { metadata, handler }. */
const functions = [];
/** Every registerHook call: hook names. */
const hooks = [];
let programmingModel;

module.exports = {
  functions,
  hooks,
  get programmingModel() {
    return programmingModel;
  },
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata, handler) {
    functions.push({ metadata, handler });
    return { dispose() {} };
  },
  registerHook(hookName) {
    hooks.push(hookName);
    return { dispose() {} };
  },
};
