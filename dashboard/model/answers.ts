import { PILLARS, pillar, type PillarName } from './pillars';

/**
 * Reading a figure out of a GraphQL answer together with the reason it may be missing. The gateway answers
 * a withheld figure with null and an error whose `extensions.code` is SUPPRESSED_SMALL_COUNT and whose
 * `path` points at the field; an agency that did not answer costs its whole pillar (null) and leaves an
 * error naming it (`extensions.serviceName`). A null without either is a figure the graph does not have
 * (an average over no loans, say). None of these is ever a zero.
 */
export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; serviceName?: string; [key: string]: unknown };
}

export interface GraphQLAnswer<T = unknown> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

export type Cell =
  | { state: 'value'; value: number }
  /** The graph has no figure here, without an error: e.g. an interest rate in a year without loans. */
  | { state: 'none' }
  /** Withheld from this caller because fewer than 5 people stand behind it. */
  | { state: 'withheld'; message: string }
  /** The agency's subgraph did not answer (down, timed out, refused). */
  | { state: 'unavailable'; agency: string; code: string; message: string };

export const SUPPRESSED = 'SUPPRESSED_SMALL_COUNT';

/** What the page and the report say about a cell that holds no number, in a few words. */
export function cellWord(cell: Cell): string {
  switch (cell.state) {
    case 'value':
      return '';
    case 'none':
      return 'no figure';
    case 'withheld':
      return 'withheld';
    case 'unavailable':
      return 'unavailable';
  }
}

/** Why, in a sentence: for tooltips, the report's notes and its CSV. */
export function cellReason(cell: Cell): string {
  switch (cell.state) {
    case 'value':
      return '';
    case 'none':
      return 'The graph has no figure here (nothing to count or average in this year).';
    case 'withheld':
      return `Withheld, not zero: ${cell.message} (SUPPRESSED_SMALL_COUNT; a dashboard key shows it)`;
    case 'unavailable':
      return `${cell.agency}'s data is unavailable: its subgraph did not answer (${cell.code}).`;
  }
}

function pathKey(path: readonly (string | number)[]): string {
  return path.join('\u0000');
}

function isPrefix(prefix: readonly (string | number)[], path: readonly (string | number)[]): boolean {
  return prefix.length <= path.length && prefix.every((key, index) => key === path[index]);
}

export class AnswerReader {
  private readonly errorsByPath = new Map<string, GraphQLErrorShape>();
  private readonly errors: GraphQLErrorShape[];

  constructor(readonly answer: GraphQLAnswer) {
    this.errors = answer.errors ?? [];
    for (const error of this.errors) if (error.path) this.errorsByPath.set(pathKey(error.path), error);
  }

  /** The value at a path of response keys and list indexes; undefined when a parent is missing. */
  valueAt(path: readonly (string | number)[]): unknown {
    let node: unknown = this.answer.data;
    for (const key of path) {
      if (node === null || node === undefined || typeof node !== 'object') return undefined;
      node = (node as Record<string | number, unknown>)[key];
    }
    return node;
  }

  /**
   * The figure `field` of the pillar object at `pillarPath` (e.g. ['kelurahanList', 3, 'scorecard', 'economy']).
   * A number is a value; a null is explained by the error at its path, or, when the pillar itself is null, by
   * an error at the pillar's path or from the pillar's agency.
   */
  figure(pillarPath: readonly (string | number)[], field: string): Cell {
    const name = pillarPath[pillarPath.length - 1] as PillarName;
    const value = this.valueAt([...pillarPath, field]);
    if (typeof value === 'number') return { state: 'value', value };
    const own = this.errorsByPath.get(pathKey([...pillarPath, field]));
    if (own) return this.explain(own, name);
    const pillarObject = this.valueAt(pillarPath);
    if (pillarObject === null || pillarObject === undefined) {
      const atPillar = this.errorsByPath.get(pathKey(pillarPath)) ?? this.errorFromAgencyOf(name, pillarPath);
      if (atPillar) return this.explain(atPillar, name);
    }
    return { state: 'none' };
  }

  private errorFromAgencyOf(name: PillarName, pillarPath: readonly (string | number)[]): GraphQLErrorShape | undefined {
    const serviceName = PILLARS.find((candidate) => candidate.name === name)?.serviceName;
    // An error above the pillar (at the scorecard or the list) or without a path that names the pillar's
    // agency: the gateway reports a subgraph that did not answer once, not per field.
    return this.errors.find(
      (error) =>
        error.extensions?.serviceName === serviceName &&
        error.extensions?.code !== SUPPRESSED &&
        (!error.path || isPrefix(error.path, pillarPath)),
    );
  }

  private explain(error: GraphQLErrorShape, name: PillarName): Cell {
    if (error.extensions?.code === SUPPRESSED) return { state: 'withheld', message: error.message };
    const agency = PILLARS.some((candidate) => candidate.name === name) ? pillar(name).agency : String(error.extensions?.serviceName ?? 'An agency');
    return { state: 'unavailable', agency, code: String(error.extensions?.code ?? 'UNKNOWN'), message: error.message };
  }
}
