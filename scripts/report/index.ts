import { renderCsv } from './csv';
import { evaluate, type Evaluation } from './evaluation';
import { gather, type GatherOptions } from './gather';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import type { Format } from './options';

/**
 * The yearly Smart City evaluation, from the gateway to text: gather the figures (one persisted operation
 * per query), evaluate them against the published figures, render in the format asked for. Tests call it
 * in-process; scripts/report.ts is its command line.
 */
export interface ReportRequest extends GatherOptions {
  format: Format;
  generatedAt?: Date;
}

export interface Report {
  text: string;
  evaluation: Evaluation;
}

const RENDERERS: Record<Format, (evaluation: Evaluation) => string> = { md: renderMarkdown, csv: renderCsv, html: renderHtml };

export async function generateReport(request: ReportRequest): Promise<Report> {
  const gathered = await gather(request);
  const evaluation = evaluate(gathered, { gateway: request.gateway, caller: request.apiKey ? 'api key' : 'public', generatedAt: request.generatedAt });
  return { text: RENDERERS[request.format](evaluation), evaluation };
}

export { UsageError, parseReportOptions, USAGE, type Format, type ReportOptions } from './options';
