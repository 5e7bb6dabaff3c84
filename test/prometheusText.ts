/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4) for the tests: every line must be
 * a `# HELP` / `# TYPE` comment or a sample `name{label="value",...} value [timestamp]`, or the reading fails
 * naming the line. Tests then look counters up by name and labels, so they assert what moved, not how
 * prom-client happens to order labels.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:\\\\.|[^"\\\\])*"';
const VALUE = '-?(?:[0-9]+(?:\\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)|[Nn]a[Nn]|[+-]?[Ii]nf';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?[0-9]+)?$`);
const COMMENT = new RegExp(`^# (?:HELP ${NAME} .*|TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped))$`);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || COMMENT.test(line)) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`Expected a Prometheus text line (a # HELP / # TYPE comment or a sample), received: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL_PAIR)) labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(/^[Nn]a[Nn]$/.test(match[3]) ? NaN : match[3].replace(/[Ii]nf/, 'Infinity')) });
  }
  return samples;
}

/** The sum of the samples called `name` whose labels include `labels`; 0 when there are none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}
