import type { GraphQLAnswer } from './answers';

/**
 * Runs the city's persisted operations against the gateway, the one way the page and the report reach the
 * graph: POST `{ documentId: "sha256:<id>", variables }` to /graphql, as the public role or with an API key
 * in `x-api-key`. Uses the platform's fetch, so the same code runs in a browser and in Node 20.
 */
export interface OperationRef {
  name: string;
  /** SHA-256 of the operation's body, hex. */
  id: string;
}

export interface PersistedManifest {
  operations: { id: string; name: string; body: string }[];
}

/** The named operations of a persisted query manifest; throws naming those it lacks. */
export function operationsByName<Name extends string>(manifest: PersistedManifest, names: readonly Name[]): Record<Name, OperationRef & { body: string }> {
  const missing = names.filter((name) => !manifest.operations.some((operation) => operation.name === name));
  if (missing.length > 0) {
    throw new Error(`The persisted operations manifest lacks ${missing.join(', ')}: run \`npm run compose\` to rebuild schema/persisted-operations.json from schema/operations/.`);
  }
  const found = {} as Record<Name, OperationRef & { body: string }>;
  for (const name of names) {
    const { id, body } = manifest.operations.find((operation) => operation.name === name)!;
    found[name] = { name, id, body };
  }
  return found;
}

export type GatewayFailure =
  /** No answer at all: wrong address, gateway not started, network down. */
  | 'unreachable'
  /** The API key was refused (HTTP 401). */
  | 'unauthenticated'
  /** The gateway answered, but with an error instead of data. */
  | 'refused';

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    message: string,
    readonly failure: GatewayFailure,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** A role's API key (e.g. dashboard); without one the gateway answers as the public role. */
  apiKey?: string;
  signal?: AbortSignal;
}

export async function runOperation<T>(endpoint: string, operation: OperationRef, variables: Record<string, unknown>, options: RunOptions = {}): Promise<GraphQLAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ documentId: `sha256:${operation.id}`, variables }),
      signal: options.signal,
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new GatewayError(`Could not reach the gateway at ${endpoint} (${cause}). Is it running? \`npm start\` serves it on http://localhost:4000/graphql.`, 'unreachable');
  }
  const text = await response.text();
  let answer: GraphQLAnswer<T>;
  try {
    answer = JSON.parse(text) as GraphQLAnswer<T>;
  } catch {
    throw new GatewayError(
      `Expected a GraphQL answer in JSON from ${endpoint} for ${operation.name}, received HTTP ${response.status} with "${text.slice(0, 120)}".`,
      'refused',
    );
  }
  const first = answer.errors?.[0];
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  if (response.status === 401) {
    throw new GatewayError(`The gateway refused the API key (HTTP 401 ${code ?? ''}): ${first?.message ?? 'no reason given'}`.replace('  ', ' '), 'unauthenticated', code);
  }
  if (answer.data === undefined || answer.data === null) {
    const hint =
      code === 'PERSISTED_QUERY_NOT_FOUND'
        ? ` The gateway does not know ${operation.name} (sha256:${operation.id.slice(0, 12)}…): is it serving this checkout's schema/persisted-operations.json? Run \`npm run compose\` and restart it.`
        : '';
    throw new GatewayError(`The gateway answered ${operation.name} with HTTP ${response.status} and no data: ${first?.message ?? 'no error given'}${code ? ` (${code})` : ''}.${hint}`, 'refused', code);
  }
  return answer;
}
