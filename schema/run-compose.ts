import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { GraphQLSchema } from 'graphql';
import { SUBGRAPHS, type SubgraphEntry } from '../subgraphs/registry';
import {
  ACKNOWLEDGEMENTS_URL,
  AcknowledgementFileError,
  acknowledgementTemplate,
  loadAcknowledgements,
  matchAcknowledgements,
  type AcknowledgementMatch,
} from './acknowledgements';
import { apiSchemaOf, classifyChanges, formatChange, type SchemaChange } from './changes';
import { CompositionError, SUPERGRAPH_URL, composeSupergraph } from './composition';
import {
  MANIFEST_URL,
  OPERATIONS_DIR,
  OperationsError,
  buildManifest,
  formatOperationFailure,
  serializeManifest,
  sourceFiles,
  validateOperations,
  type OperationFailure,
  type PersistedQueryManifest,
} from './operations';
import { displayPath } from './paths';

/**
 * `npm run compose` and `npm run compose -- --check`. The committed supergraph is the baseline: the API
 * schema of what the subgraphs compose to now is compared with the committed one's, every change is listed
 * as breaking, dangerous or safe, and a breaking change needs an acknowledgement with a reason before it is
 * written. Every persisted operation must still validate against the new API schema.
 */
export interface ComposePaths {
  /** The subgraphs to compose (their SDL is read from `<dir>/schema.graphql` under the project root). */
  subgraphs: readonly SubgraphEntry[];
  /** The committed supergraph: the baseline, and where write mode writes. */
  supergraph: URL | string;
  acknowledgements: URL | string;
  /** The directory of .graphql operations; with no such directory and no manifest, operations are skipped. */
  operationsDir: URL | string;
  manifest: URL | string;
}

export const DEFAULT_PATHS: ComposePaths = {
  subgraphs: SUBGRAPHS,
  supergraph: SUPERGRAPH_URL,
  acknowledgements: ACKNOWLEDGEMENTS_URL,
  operationsDir: OPERATIONS_DIR,
  manifest: MANIFEST_URL,
};

export interface Output {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

function readIfExists(file: URL | string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** Everything compose and --check decide on, computed before anything is printed or written. */
interface Assessment {
  supergraph: string;
  committedSupergraph: string | undefined;
  changes: SchemaChange[];
  match: AcknowledgementMatch;
  /** Undefined when the project has no persisted operations. */
  manifest: PersistedQueryManifest | undefined;
  failures: OperationFailure[];
}

function persistedOperations(paths: ComposePaths, apiSchema: GraphQLSchema): Pick<Assessment, 'manifest' | 'failures'> {
  const hasDir = existsSync(paths.operationsDir);
  if (!hasDir && !existsSync(paths.manifest)) return { manifest: undefined, failures: [] };
  // A manifest without its directory is stale: the rebuilt manifest is empty and the comparison says so.
  const manifest: PersistedQueryManifest = hasDir
    ? buildManifest(paths.operationsDir)
    : { format: 'apollo-persisted-query-manifest', version: 1, operations: [] };
  const files = hasDir ? sourceFiles(paths.operationsDir) : undefined;
  return { manifest, failures: validateOperations(manifest, apiSchema, files) };
}

function assess(paths: ComposePaths): Assessment {
  const supergraph = composeSupergraph(paths.subgraphs);
  const committedSupergraph = readIfExists(paths.supergraph);
  const apiSchema = apiSchemaOf(supergraph);
  let changes: SchemaChange[] = [];
  if (committedSupergraph !== undefined && committedSupergraph !== supergraph) {
    let committedApi: GraphQLSchema;
    try {
      committedApi = apiSchemaOf(committedSupergraph);
    } catch (error) {
      throw new CompositionError(
        `${displayPath(paths.supergraph)} is not a valid supergraph, so there is no baseline to compare with ` +
          `(restore the committed version from git): ${(error as Error).message}`,
      );
    }
    changes = classifyChanges(committedApi, apiSchema);
  }
  const match = matchAcknowledgements(changes, loadAcknowledgements(paths.acknowledgements));
  return { supergraph, committedSupergraph, changes, match, ...persistedOperations(paths, apiSchema) };
}

function reportChanges(assessment: Assessment, paths: ComposePaths, output: Output): void {
  const { changes, match, supergraph, committedSupergraph } = assessment;
  const target = displayPath(paths.supergraph);
  if (committedSupergraph === undefined) {
    output.log(`There is no ${target} yet: nothing to compare the composed supergraph with.`);
  } else if (changes.length > 0) {
    output.log(`API schema changes from ${target} to the composed supergraph (${changes.length}):`);
    for (const change of changes) {
      output.log(`  ${formatChange(change)}`);
      const acknowledgement = match.acknowledged.find((entry) => entry.change === change)?.acknowledgement;
      if (acknowledgement) output.log(`            acknowledged: ${acknowledgement.reason}`);
    }
  } else if (committedSupergraph !== supergraph) {
    output.log(`The API schema is unchanged; only ${target}'s routing and federation metadata differ.`);
  }
  for (const stale of match.stale) {
    output.warn(
      `Stale acknowledgement in ${displayPath(paths.acknowledgements)}: ${stale.kind} ${stale.coordinate} matches no change from ${target}. ` +
        'If its change is already in the committed supergraph, it has done its job: delete it.',
    );
  }
  if (match.unacknowledged.length > 0) {
    output.error(`${match.unacknowledged.length} breaking change(s) not acknowledged. Undo them, or add to ${displayPath(paths.acknowledgements)} under "acknowledged:", each with the reason it may ship:`);
    output.error(acknowledgementTemplate(match.unacknowledged));
  }
  for (const failure of assessment.failures) output.error(formatOperationFailure(failure));
}

function check(assessment: Assessment, paths: ComposePaths, output: Output): number {
  let failed = assessment.match.unacknowledged.length > 0 || assessment.failures.length > 0;
  const target = displayPath(paths.supergraph);
  if (assessment.committedSupergraph !== assessment.supergraph) {
    output.error(`${target} is stale: run \`npm run compose\` and commit the result.`);
    failed = true;
  } else {
    output.log(`${target} is current.`);
  }
  if (assessment.manifest) {
    const manifestName = displayPath(paths.manifest);
    if (readIfExists(paths.manifest) !== serializeManifest(assessment.manifest)) {
      output.error(`${manifestName} is stale: run \`npm run compose\` and commit the result.`);
      failed = true;
    } else if (assessment.failures.length === 0) {
      output.log(`${manifestName} is current; its ${assessment.manifest.operations.length} operation(s) validate against the API schema.`);
    }
  }
  return failed ? 1 : 0;
}

function write(assessment: Assessment, paths: ComposePaths, output: Output): number {
  const target = displayPath(paths.supergraph);
  if (assessment.match.unacknowledged.length > 0 || assessment.failures.length > 0) {
    output.error(`Did not write ${target}: it would break clients (see above).`);
    return 1;
  }
  if (assessment.committedSupergraph === assessment.supergraph) {
    output.log(`${target} is already current.`);
  } else {
    writeFileSync(paths.supergraph, assessment.supergraph);
    output.log(`Wrote ${target} (${assessment.supergraph.length} characters).`);
  }
  if (assessment.manifest) {
    const manifest = serializeManifest(assessment.manifest);
    if (readIfExists(paths.manifest) !== manifest) {
      writeFileSync(paths.manifest, manifest);
      output.log(`Wrote ${displayPath(paths.manifest)} (${assessment.manifest.operations.length} operation(s)).`);
    }
  }
  return 0;
}

/** Runs compose (write mode) or, with `--check`, only checks. Returns the exit code: 0 passed, 1 failed, 2 usage. */
export function runCompose(argv: readonly string[], paths: ComposePaths = DEFAULT_PATHS, output: Output = console): number {
  const unknown = argv.filter((argument) => argument !== '--check');
  if (unknown.length > 0) {
    output.error(`Unknown argument(s) ${unknown.join(' ')}: expected nothing (write) or --check.`);
    return 2;
  }
  let assessment: Assessment;
  try {
    assessment = assess(paths);
  } catch (error) {
    if (error instanceof CompositionError || error instanceof AcknowledgementFileError || error instanceof OperationsError) {
      output.error(error.message);
      return 1;
    }
    throw error;
  }
  reportChanges(assessment, paths, output);
  return argv.includes('--check') ? check(assessment, paths, output) : write(assessment, paths, output);
}
