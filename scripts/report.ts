import { writeFileSync } from 'node:fs';
import { GatewayError } from '../dashboard/model/gatewayClient';
import { generateReport, parseReportOptions, UsageError, USAGE } from './report/index';
import { wantsHelp } from './report/options';

/**
 * `npm run report -- --year 2023 [--format md|csv|html] [--out FILE] [--gateway URL] [--key KEY]`: the yearly
 * Smart City evaluation, read from the gateway. Progress goes to standard error, the report to standard
 * output or FILE. Exit codes: 0 written, 1 the gateway could not be reached or refused, 2 bad arguments.
 */
async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options;
  try {
    options = parseReportOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`report: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  try {
    const report = await generateReport({ ...options, progress: (line) => process.stderr.write(`report: ${line}\n`) });
    if (options.out) writeFileSync(options.out, report.text);
    else process.stdout.write(report.text);
    process.stderr.write(`report: the ${options.year} evaluation (${options.format}) ${options.out ? `written to ${options.out}` : 'written'} in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    return 0;
  } catch (error) {
    if (error instanceof GatewayError) {
      process.stderr.write(`report: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
