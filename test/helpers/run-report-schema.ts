// The JSON Schema of RunReport and a validator over it, for tests. ajv is a development dependency,
// so this lives under test/: nothing under lib/ may import one (the app package has none).

import Ajv2020 from 'ajv/dist/2020';
import runReportSchema from '../../schema/run-report.schema.json';

export const RUN_REPORT_SCHEMA: object = runReportSchema;

let compiled: ReturnType<Ajv2020['compile']> | undefined;

/** Validates a value against schema/run-report.schema.json; errors read `<json path> <problem>`. */
export function validateRunReport(value: unknown): { valid: boolean; errors: string[] } {
  if (!compiled) compiled = new Ajv2020({ allErrors: true, strict: true }).compile(runReportSchema);
  const valid = compiled(value) as boolean;
  const errors = (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
  return { valid, errors };
}
