import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  parse,
  print,
  validate,
  visit,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { displayPath } from './paths';

/**
 * The operations the city's dashboards send, kept as .graphql files in schema/operations/ and published as
 * an Apollo persisted query manifest (schema/persisted-operations.json) that the gateway serves by id.
 * Each operation's body is the operation followed by the fragments it uses (directly or through other
 * fragments) in name order, each printed by graphql-js: comments and layout in the files never change an id.
 */
export const OPERATIONS_DIR = new URL('./operations/', import.meta.url);
export const MANIFEST_URL = new URL('./persisted-operations.json', import.meta.url);

export interface PersistedOperation {
  /** SHA-256 of `body`, in hex. */
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: PersistedOperation[];
}

export class OperationsError extends Error {
  override name = 'OperationsError';
}

interface Located<T> {
  node: T;
  /** The file that defines it, as messages print it. */
  file: string;
}

interface OperationLibrary {
  operations: Map<string, Located<OperationDefinitionNode>>;
  fragments: Map<string, Located<FragmentDefinitionNode>>;
}

function toPath(dir: URL | string): string {
  return dir instanceof URL ? fileURLToPath(dir) : dir;
}

/** Every operation and fragment of the directory's .graphql files (not its subdirectories), by name. */
function readLibrary(dir: URL | string): OperationLibrary {
  const library: OperationLibrary = { operations: new Map(), fragments: new Map() };
  const files = readdirSync(toPath(dir)).filter((name) => name.endsWith('.graphql')).sort();
  for (const fileName of files) {
    const file = displayPath(join(toPath(dir), fileName));
    let definitions;
    try {
      definitions = parse(readFileSync(join(toPath(dir), fileName), 'utf8')).definitions;
    } catch (error) {
      throw new OperationsError(`${file} does not parse: ${(error as Error).message}`);
    }
    for (const definition of definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        const name = definition.name?.value;
        if (!name) throw new OperationsError(`${file}: expected every ${definition.operation} to be named (the name identifies it in the manifest), got an anonymous one.`);
        const earlier = library.operations.get(name);
        if (earlier) throw new OperationsError(`${file}: operation ${name} is already defined in ${earlier.file}; expected each name once.`);
        library.operations.set(name, { node: definition, file });
      } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        const earlier = library.fragments.get(name);
        if (earlier) throw new OperationsError(`${file}: fragment ${name} is already defined in ${earlier.file}; expected each name once.`);
        library.fragments.set(name, { node: definition, file });
      } else {
        throw new OperationsError(`${file}: expected only operations and fragments, got a ${definition.kind}.`);
      }
    }
  }
  return library;
}

function spreadNames(node: ASTNode): string[] {
  const names: string[] = [];
  visit(node, { FragmentSpread: (spread) => void names.push(spread.name.value) });
  return names;
}

/** The fragments an operation uses, directly or through other fragments, in name order. */
function fragmentsOf(name: string, library: OperationLibrary): FragmentDefinitionNode[] {
  const operation = library.operations.get(name)!;
  const used = new Map<string, FragmentDefinitionNode>();
  const pending = spreadNames(operation.node);
  while (pending.length > 0) {
    const fragmentName = pending.pop()!;
    if (used.has(fragmentName)) continue;
    const fragment = library.fragments.get(fragmentName);
    if (!fragment) throw new OperationsError(`${operation.file}: operation ${name} uses fragment ${fragmentName}, which no .graphql file beside it defines.`);
    used.set(fragmentName, fragment.node);
    pending.push(...spreadNames(fragment.node));
  }
  // Plain code-unit order (not localeCompare) so that every machine builds the same bodies and ids.
  return [...used.keys()].sort().map((fragmentName) => used.get(fragmentName)!);
}

export function operationId(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The manifest of every operation in `dir`, in name order. Throws naming the file when one is malformed. */
export function buildManifest(dir: URL | string = OPERATIONS_DIR): PersistedQueryManifest {
  const library = readLibrary(dir);
  const names = [...library.operations.keys()].sort();
  const operations = names.map((name): PersistedOperation => {
    const operation = library.operations.get(name)!.node;
    const body = [operation, ...fragmentsOf(name, library)].map((definition) => print(definition)).join('\n\n');
    return { id: operationId(body), name, type: operation.operation, body };
  });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** Where each operation and fragment of a directory is defined, for messages. */
export interface SourceFiles {
  operations: ReadonlyMap<string, string>;
  fragments: ReadonlyMap<string, string>;
}

export function sourceFiles(dir: URL | string = OPERATIONS_DIR): SourceFiles {
  const library = readLibrary(dir);
  const files = <T>(definitions: Map<string, Located<T>>) => new Map([...definitions].map(([name, { file }]) => [name, file]));
  return { operations: files(library.operations), fragments: files(library.fragments) };
}

/** The manifest as committed: two-space JSON with a final newline, so that a rebuild is byte-identical. */
export function serializeManifest(manifest: PersistedQueryManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export interface OperationFailure {
  name: string;
  /** The .graphql file that defines it, when known. */
  file?: string;
  /** graphql-js's messages, each prefixed with the fragment it is in when it is not in the operation itself. */
  errors: string[];
}

/** Says which fragment of the body an error is in, since a shared fragment's file is not the operation's. */
function locate(error: GraphQLError, document: DocumentNode, files: SourceFiles): string {
  const position = error.positions?.[0];
  const definition = document.definitions.find((candidate) => candidate.loc && position !== undefined && candidate.loc.start <= position && position < candidate.loc.end);
  if (definition?.kind !== Kind.FRAGMENT_DEFINITION) return error.message;
  const name = definition.name.value;
  const file = files.fragments.get(name);
  return `in fragment ${name}${file ? ` (${file})` : ''}: ${error.message}`;
}

const NO_FILES: SourceFiles = { operations: new Map(), fragments: new Map() };

/** Each persisted operation that the schema would no longer run, with graphql-js's validation errors. */
export function validateOperations(manifest: PersistedQueryManifest, apiSchema: GraphQLSchema, files: SourceFiles = NO_FILES): OperationFailure[] {
  const failures: OperationFailure[] = [];
  for (const operation of manifest.operations) {
    let errors: string[];
    try {
      const document = parse(operation.body);
      errors = validate(apiSchema, document).map((error) => locate(error, document, files));
    } catch (error) {
      errors = [`its body does not parse: ${(error as Error).message}`];
    }
    if (errors.length > 0) failures.push({ name: operation.name, file: files.operations.get(operation.name), errors });
  }
  return failures;
}

export function formatOperationFailure(failure: OperationFailure): string {
  const where = failure.file ? ` (${failure.file})` : '';
  return [`Persisted operation ${failure.name}${where} would break:`, ...failure.errors.map((error) => `  - ${error}`)].join('\n');
}
