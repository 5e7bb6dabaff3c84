import type { PlanReport } from './planner';
import { projectionKeepsInputIntact } from './copies';
import type { Document } from './types';

/** The verbosities mongod accepts; allPlansExecution adds nothing here, since the store considers one plan. */
export type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';

export const VERBOSITIES: readonly Verbosity[] = ['queryPlanner', 'executionStats', 'allPlansExecution'];

/** mongod's default limit on the memory of an in-memory sort, shown on SORT stages. */
const SORT_MEMORY_LIMIT = 104_857_600;

export interface StageOptions {
  /** A find projection, shown as a PROJECTION stage on top. */
  projection?: Document;
  /** A count command: a COUNT stage on top. */
  count?: boolean;
}

/**
 * The plan tree of what the store did, in mongod's stage vocabulary, from the leaf up: COLLSCAN, or IXSCAN (a lookup
 * or a walk of the index) under FETCH (which applies the filter), then SORT when the sort is done in memory, SKIP,
 * LIMIT, and PROJECTION or COUNT. With `withStats` every stage carries its counts, as `executionStages` does.
 */
export function planTree(report: PlanReport, options: StageOptions, withStats: boolean): Document {
  const stats = (document: Document, values: Document) => (withStats ? { ...document, ...values } : document);
  const filter = Object.keys(report.filter).length > 0 ? { filter: report.filter } : {};
  let stage: Document;
  if (report.access.stage === 'COLLSCAN') {
    stage = stats({ stage: 'COLLSCAN', ...filter, direction: 'forward' }, { nReturned: report.matched, docsExamined: report.docsExamined });
  } else {
    const { index, bounds, direction } = report.access;
    const scan = stats(
      {
        stage: 'IXSCAN',
        keyPattern: index.key,
        indexName: index.name,
        isMultiKey: index.multikey,
        multiKeyPaths: Object.fromEntries(index.fields.map((field) => [field, []])),
        isUnique: index.unique,
        isSparse: index.sparse,
        isPartial: index.isPartial,
        indexVersion: 2,
        direction,
        indexBounds: bounds(),
      },
      { nReturned: report.keysExamined, keysExamined: report.keysExamined },
    );
    stage = stats({ stage: 'FETCH', ...filter, inputStage: scan }, { nReturned: report.matched, docsExamined: report.docsExamined });
  }
  const afterSkip = Math.max(0, report.matched - report.skip);
  if (report.sortInMemory) {
    const limitAmount = report.limit > 0 ? { limitAmount: report.skip + report.limit } : {};
    stage = stats(
      { stage: 'SORT', sortPattern: report.sortInMemory, memLimit: SORT_MEMORY_LIMIT, ...limitAmount, type: 'simple', inputStage: stage },
      { nReturned: report.limit > 0 ? Math.min(report.matched, report.skip + report.limit) : report.matched },
    );
  }
  if (report.skip > 0) {
    stage = stats({ stage: 'SKIP', skipAmount: report.skip, inputStage: stage }, { nReturned: afterSkip });
  }
  if (report.limit > 0 && !report.sortInMemory) {
    stage = stats({ stage: 'LIMIT', limitAmount: report.limit, inputStage: stage }, { nReturned: report.nReturned });
  }
  if (options.projection && Object.keys(options.projection).length > 0) {
    const simple = projectionKeepsInputIntact(options.projection) && Object.values(options.projection).every((v) => typeof v !== 'object');
    stage = stats({ stage: simple ? 'PROJECTION_SIMPLE' : 'PROJECTION_DEFAULT', transformBy: options.projection, inputStage: stage }, { nReturned: report.nReturned });
  }
  if (options.count) stage = stats({ stage: 'COUNT', inputStage: stage }, { nReturned: 0, nCounted: report.nReturned });
  return stage;
}

/** The `queryPlanner` section: the winning plan, and no rejected ones (the store picks one plan by rule). */
export function queryPlanner(report: PlanReport, options: StageOptions): Document {
  return {
    namespace: report.namespace,
    indexFilterSet: false,
    parsedQuery: report.filter,
    maxIndexedOrSolutionsReached: false,
    maxIndexedAndSolutionsReached: false,
    maxScansToExplodeReached: false,
    winningPlan: planTree(report, options, false),
    rejectedPlans: [],
  };
}

/** The `executionStats` section: totals over the whole run, and the plan tree with each stage's counts. */
export function executionStats(report: PlanReport, options: StageOptions, verbosity: Verbosity): Document {
  const section: Document = {
    executionSuccess: true,
    nReturned: options.count ? 0 : report.nReturned,
    executionTimeMillis: report.executionTimeMillis,
    totalKeysExamined: report.keysExamined,
    totalDocsExamined: report.docsExamined,
    executionStages: planTree(report, options, true),
  };
  if (verbosity === 'allPlansExecution') section.allPlansExecution = [];
  return section;
}

/** The sections a verbosity asks for, for one query. */
export function explainSections(report: PlanReport, options: StageOptions, verbosity: Verbosity): Document {
  const sections: Document = { queryPlanner: queryPlanner(report, options) };
  if (verbosity !== 'queryPlanner') sections.executionStats = executionStats(report, options, verbosity);
  return sections;
}
