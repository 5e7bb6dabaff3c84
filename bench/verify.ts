import type { Gateway } from './stack';
import type { Variables, Workload } from './workloads';

/**
 * Before any load: both gateways must give byte-identical `data` for the same request, or the benchmark
 * would compare two different pieces of work. Checked for a sample of each workload's variables, for every
 * configuration of ours (a lever must never change an answer), against the stock gateway's answer and
 * against the first answer ever seen for that request (so the read model is also held to the raw figures).
 * Our gateway is asked twice, so that an answer served from its response cache is checked too.
 */
export class AnswersDiffer extends Error {
  override name = 'AnswersDiffer';
}

interface Answer {
  status: number;
  data: string;
  /** "path code" of each error, sorted, for a softer comparison than data. */
  errors: string[];
  /** Codes other than SUPPRESSED_SMALL_COUNT. */
  unexpected: string[];
}

async function ask(gateway: Gateway, workload: Workload, variables: Variables): Promise<Answer> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: workload.query, operationName: workload.operationName, variables }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  let body: { data?: unknown; errors?: { message?: string; path?: (string | number)[]; extensions?: { code?: string } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new AnswersDiffer(`${gateway.side} gateway answered ${workload.id} ${JSON.stringify(variables)} with ${response.status} and no JSON: ${text.slice(0, 300)}`);
  }
  const errors = (body.errors ?? []).map((error) => `${(error.path ?? []).join('.')} ${error.extensions?.code ?? 'NO_CODE'}`).sort();
  const unexpected = (body.errors ?? [])
    .filter((error) => error.extensions?.code !== 'SUPPRESSED_SMALL_COUNT')
    .map((error) => `${error.extensions?.code ?? 'NO_CODE'} at ${(error.path ?? []).join('.') || 'the request'}: ${error.message}`);
  return { status: response.status, data: JSON.stringify(body.data ?? null), errors, unexpected };
}

/** The first place where two JSON values differ, as "path: left vs right". */
export function firstDifference(left: unknown, right: unknown, path = 'data'): string | undefined {
  if (JSON.stringify(left) === JSON.stringify(right)) return undefined;
  if (left && right && typeof left === 'object' && typeof right === 'object' && Array.isArray(left) === Array.isArray(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
    const leftKeys = Object.keys(left).join(',');
    const rightKeys = Object.keys(right).join(',');
    if (!Array.isArray(left) && leftKeys !== rightKeys && keys.every((key) => key in left && key in right)) {
      return `${path}: the same fields in another order (${leftKeys} vs ${rightKeys})`;
    }
    for (const key of keys) {
      const difference = firstDifference((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], `${path}.${key}`);
      if (difference) return difference;
    }
  }
  const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value)?.slice(0, 200));
  return `${path}: ${show(left)} vs ${show(right)}`;
}

export interface VerifyReport {
  workload: string;
  samples: number;
  /** Differences in the errors (paths and codes) that did not stop the run: data is what must match. */
  errorDifferences: string[];
}

/** Answers first seen per workload and variables, the reference for every later configuration. */
export type ReferenceAnswers = Map<string, string>;

export async function verifyAnswers(
  ours: Gateway,
  /** Asked too when given; otherwise ours is held to the reference answers alone. */
  stock: Gateway | undefined,
  workload: Workload,
  samples: Variables[],
  reference: ReferenceAnswers,
  configuration: string,
): Promise<VerifyReport> {
  const errorDifferences: string[] = [];
  for (const variables of samples) {
    const label = `${workload.id} ${JSON.stringify(variables)} (${configuration})`;
    const oursFirst = await ask(ours, workload, variables);
    const stockAnswer = stock ? await ask(stock, workload, variables) : undefined;
    const oursAgain = await ask(ours, workload, variables);
    const answers: [string, Answer][] = [
      [`our gateway (${configuration})`, oursFirst],
      ...(stockAnswer ? [['the stock gateway', stockAnswer] as [string, Answer]] : []),
      [`our gateway (${configuration}, asked again)`, oursAgain],
    ];
    for (const [name, answer] of answers) {
      if (answer.status !== 200 || answer.unexpected.length > 0) {
        throw new AnswersDiffer(
          `${name} answered ${label} with status ${answer.status} and ${answer.unexpected.length} unexpected error(s):\n    ${answer.unexpected.slice(0, 5).join('\n    ')}`,
        );
      }
    }
    const key = `${workload.id} ${JSON.stringify(variables)}`;
    const expected = reference.get(key) ?? stockAnswer?.data;
    if (expected === undefined) throw new Error(`No reference answer for ${label}: the stock gateway must be asked first.`);
    reference.set(key, expected);
    for (const [name, answer] of answers) {
      if (answer.data !== expected) {
        const difference = firstDifference(JSON.parse(answer.data), JSON.parse(expected));
        throw new AnswersDiffer(
          `the data of ${name} for ${label} differs from the reference answer (${answer.data.length} vs ${expected.length} bytes; ` +
            `the reference is the stock gateway's first answer, over the FIGURES_SOURCE=read-model subgraphs).\n` +
            `    first difference (${name} vs reference): ${difference}`,
        );
      }
    }
    if (stockAnswer && oursFirst.errors.join('\n') !== stockAnswer.errors.join('\n')) {
      const onlyOurs = oursFirst.errors.filter((error) => !stockAnswer.errors.includes(error));
      const onlyStock = stockAnswer.errors.filter((error) => !oursFirst.errors.includes(error));
      errorDifferences.push(`${label}: errors only ours ${JSON.stringify(onlyOurs.slice(0, 3))}, only stock ${JSON.stringify(onlyStock.slice(0, 3))}`);
    }
  }
  return { workload: workload.id, samples: samples.length, errorDifferences };
}
