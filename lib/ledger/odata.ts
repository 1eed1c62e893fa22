// The SDK's `odata` filter builder (quoting and escaping of values), loaded at the first query
// rather than when the ledger module is: importing @azure/data-tables is most of what a cold
// start of the Function App would otherwise read (bench/cold-load.ts).
export function odata(strings: TemplateStringsArray, ...values: unknown[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tables = require('@azure/data-tables') as typeof import('@azure/data-tables');
  return tables.odata(strings, ...values);
}
