/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The Functions worker's module, recorded: @azure/functions registers every app.http/timer/...
  // call with it instead of warning that it is in test mode (test/function-metadata.test.ts reads
  // the same registrations from a separate process).
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/test/helpers/functions-core-recorder.js' },
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  // Integration tests start HTTPS emulators and Azurite; two workers fit the 2-core machines we run on.
  maxWorkers: 2,
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/plain-summary-reporter.js'],
};
