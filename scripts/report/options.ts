import { FIRST_SCORECARD_YEAR, kediriYear } from '../../dashboard/model/years';

/**
 * The report's command line: `npm run report -- --year 2023 [--format md|csv|html] [--out FILE]
 * [--gateway URL] [--key KEY]`, with GATEWAY_URL and DASHBOARD_API_KEY from the environment as defaults.
 * A wrong argument is a UsageError whose message says what was expected and what came; the command prints
 * it with the usage and exits 2.
 */
export type Format = 'md' | 'csv' | 'html';

export interface ReportOptions {
  year: number;
  format: Format;
  /** Where to write the report; standard output when absent. */
  out?: string;
  /** The gateway's GraphQL endpoint. */
  gateway: string;
  /** An API key (e.g. the dashboard role's); the public role when absent. */
  apiKey?: string;
}

export const USAGE = `Usage: npm run report -- --year <year> [--format md|csv|html] [--out FILE] [--gateway URL] [--key KEY]

  --year      the calendar year to evaluate (required), e.g. 2023
  --format    md (default; or from the --out file's extension), csv for spreadsheets, html for reading
  --out       write the report to FILE instead of standard output
  --gateway   the gateway's GraphQL endpoint; default $GATEWAY_URL or http://localhost:4000/graphql
  --key       an API key, e.g. the dashboard role's, to see figures withheld from the public;
              default $DASHBOARD_API_KEY, else the public role

Progress goes to standard error, one line per query to the gateway.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

const FORMATS: readonly Format[] = ['md', 'csv', 'html'];
const VALUED = new Set(['--year', '--format', '--out', '--gateway', '--key']);

export const DEFAULT_GATEWAY = 'http://localhost:4000/graphql';

/** Whether the arguments ask for help, which is not an error. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function parseReportOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): ReportOptions {
  const given = new Map<string, string>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    const [name, inline] = argument.startsWith('--') && argument.includes('=') ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)] : [argument, undefined];
    if (!VALUED.has(name)) throw new UsageError(`Unknown argument "${argument}": expected one of ${[...VALUED].join(', ')}.`);
    const value = inline ?? argv[index + 1];
    if (inline === undefined) index += 1;
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value, received none.`);
    if (given.has(name)) throw new UsageError(`${name} was given twice ("${given.get(name)}" and "${value}"); expected it once.`);
    given.set(name, value);
  }

  const rawYear = given.get('--year');
  if (rawYear === undefined) throw new UsageError('--year is required: expected a calendar year such as 2023.');
  const latest = kediriYear(now);
  if (!/^\d{4}$/.test(rawYear) || Number(rawYear) < FIRST_SCORECARD_YEAR || Number(rawYear) > latest) {
    throw new UsageError(`--year must be a calendar year from ${FIRST_SCORECARD_YEAR} (the scorecard's first) to ${latest} (this year in Kediri), received "${rawYear}".`);
  }

  const out = given.get('--out');
  const fromExtension = out?.match(/\.(md|csv|html)$/i)?.[1].toLowerCase() as Format | undefined;
  const format = (given.get('--format') ?? fromExtension ?? 'md') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, received "${format}".`);

  const gateway = given.get('--gateway') ?? (env.GATEWAY_URL || DEFAULT_GATEWAY);
  let url: URL;
  try {
    url = new URL(gateway);
  } catch {
    throw new UsageError(`--gateway must be an http(s) URL such as ${DEFAULT_GATEWAY}, received "${gateway}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--gateway must be an http(s) URL such as ${DEFAULT_GATEWAY}, received "${gateway}".`);

  const apiKey = given.get('--key') ?? (env.DASHBOARD_API_KEY || undefined);
  return { year: Number(rawYear), format, out, gateway: url.toString(), apiKey };
}
