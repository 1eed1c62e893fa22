// One entry point for the renderers the CLI and the HTTP API offer.

import type { RunReport } from '../types';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import { renderTable } from './table';

export type OutputFormat = 'table' | 'json' | 'markdown';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'markdown'];

export function renderReport(report: RunReport, format: OutputFormat, opts: { width?: number } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'table':
      return renderTable(report, opts);
  }
}

export { renderJson, renderMarkdown, renderTable };
export { summaryLine, vmLabel } from './facts';
