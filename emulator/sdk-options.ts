// Client options that point an unmodified @azure/arm-* client at the emulator: its endpoint, its
// CA trusted through the pipeline's TLS settings (verification stays on), and short retry delays
// so 429/503 retries cost milliseconds in tests rather than seconds.

export interface EmulatorSdkOptions {
  endpoint: string;
  /** Older core-client packages (arm-locks, arm-recoveryservicesbackup) read `$host` too. */
  $host: string;
  tlsOptions: { ca: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
}

export function sdkClientOptions(emu: { endpoint: string; ca: string }, retry?: Partial<EmulatorSdkOptions['retryOptions']>): EmulatorSdkOptions {
  return {
    endpoint: emu.endpoint,
    $host: emu.endpoint,
    tlsOptions: { ca: emu.ca },
    retryOptions: { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 200, ...retry },
  };
}
