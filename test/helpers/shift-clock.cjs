// Preloaded into a child process (NODE_OPTIONS="--require <this file>") to run it "later": every
// `new Date()`, `Date()` and `Date.now()` reads SHIFT_CLOCK_MS milliseconds ahead of the OS clock.
// test/readme-examples.test.ts runs the README's standalone example a year from now with it, in
// both the emulator and the CLI. OpenSSL still reads the OS clock, so the emulator's certificate
// is dated from `performance` (emulator/tls.ts), which this file leaves alone.
'use strict';
const shift = Number(process.env.SHIFT_CLOCK_MS ?? 0);
if (Number.isFinite(shift) && shift !== 0) {
  const RealDate = Date;
  const now = () => RealDate.now() + shift;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget === globalThis.Date ? target : newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, prop, receiver) {
      return prop === 'now' ? now : Reflect.get(target, prop, receiver);
    },
  });
}
