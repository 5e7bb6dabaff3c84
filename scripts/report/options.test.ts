import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY, parseReportOptions, UsageError, wantsHelp } from './options';

const NOW = new Date('2026-06-01T00:00:00Z');
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseReportOptions(argv, env, NOW);

describe('the report command line', () => {
  it('needs only a year: Markdown to standard output from the local gateway, as the public', () => {
    expect(parse(['--year', '2023'])).toEqual({ year: 2023, format: 'md', out: undefined, gateway: DEFAULT_GATEWAY, apiKey: undefined });
  });

  it('takes the format, file, gateway and key, in either spelling of a value', () => {
    expect(parse(['--year=2022', '--format', 'csv', '--out', 'r.csv', '--gateway=http://10.0.0.5:4000/graphql', '--key', 'k'])).toEqual({
      year: 2022,
      format: 'csv',
      out: 'r.csv',
      gateway: 'http://10.0.0.5:4000/graphql',
      apiKey: 'k',
    });
  });

  it("takes the format from the output file's extension when not given", () => {
    expect(parse(['--year', '2023', '--out', 'evaluation.html']).format).toBe('html');
  });

  it('falls back to GATEWAY_URL and DASHBOARD_API_KEY from the environment', () => {
    expect(parse(['--year', '2023'], { GATEWAY_URL: 'https://graph.kedirikota.go.id/graphql', DASHBOARD_API_KEY: 'secret' })).toMatchObject({
      gateway: 'https://graph.kedirikota.go.id/graphql',
      apiKey: 'secret',
    });
  });

  it.each([
    [[], '--year is required: expected a calendar year such as 2023.'],
    [['--year', '23'], '--year must be a calendar year from 2016 (the scorecard\'s first) to 2026 (this year in Kediri), received "23".'],
    [['--year', '2015'], /from 2016 .* received "2015"/],
    [['--year', '2027'], /to 2026 .* received "2027"/],
    [['--year', '2023', '--format', 'pdf'], '--format must be one of md, csv, html, received "pdf".'],
    [['--year', '2023', '--gateway', 'localhost:4000'], /--gateway must be an http\(s\) URL/],
    [['--year', '2023', '--colour'], 'Unknown argument "--colour": expected one of --year, --format, --out, --gateway, --key.'],
    [['--year'], '--year needs a value, received none.'],
    [['--year', '--format', 'md'], '--year needs a value, received none.'],
    [['--year', '2023', '--year', '2024'], '--year was given twice ("2023" and "2024"); expected it once.'],
  ])('refuses %j with a message saying what was expected', (argv, message) => {
    expect(() => parse(argv as string[])).toThrow(UsageError);
    expect(() => parse(argv as string[])).toThrow(message);
  });

  it('knows a request for help', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--year', '2023'])).toBe(false);
  });
});
