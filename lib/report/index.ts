// One entry point for the renderers the CLI and the HTTP API offer.

import type { RunReport } from '../types';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import { renderTable } from './table';

export type OutputFormat = 'table' | 'json' | 'markdown' | 'html';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'markdown', 'html'];

export function renderReport(report: RunReport, format: OutputFormat, opts: { width?: number } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'table':
      return renderTable(report, opts);
  }
}

export { renderHtml, renderJson, renderMarkdown, renderTable };
export { itemOutcome, ITEM_OUTCOMES, type ItemOutcome } from './outcome';
export { summaryLine, vmLabel } from './facts';
