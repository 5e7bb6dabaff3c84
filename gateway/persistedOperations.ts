import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { HttpError } from '../platform/http';
import type { Role } from '../platform/identity';

/**
 * Trusted operations, by hash: the dashboards' queries, reviewed and committed in schema/operations and
 * compiled by `npm run compose` into an Apollo persisted query manifest. A client sends the operation's id
 * (`documentId`, as the GraphQL-over-HTTP draft spells it, or Apollo's `extensions.persistedQuery.sha256Hash`)
 * instead of its text. For the roles the gateway is told to hold to the list (REQUIRE_PERSISTED_OPERATIONS,
 * e.g. the public), any other document is refused: a public dashboard can then only run what was reviewed.
 */
export interface PersistedOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export class PersistedOperations {
  private readonly byId: Map<string, PersistedOperation>;

  constructor(
    operations: PersistedOperation[],
    private readonly requiredFor: ReadonlySet<Role>,
  ) {
    this.byId = new Map(operations.map((operation) => [operation.id, operation]));
  }

  static load(path: string, requiredFor: ReadonlySet<Role>): PersistedOperations {
    if (!existsSync(path)) {
      if (requiredFor.size > 0) throw new Error(`REQUIRE_PERSISTED_OPERATIONS is set, but the manifest ${path} does not exist: run \`npm run compose\`.`);
      return new PersistedOperations([], requiredFor);
    }
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; operations?: PersistedOperation[] };
    if (manifest.format !== 'apollo-persisted-query-manifest' || !Array.isArray(manifest.operations)) {
      throw new Error(`${path} is not an Apollo persisted query manifest (expected format "apollo-persisted-query-manifest").`);
    }
    for (const operation of manifest.operations) {
      if (createHash('sha256').update(operation.body).digest('hex') !== operation.id) {
        throw new Error(`${path}: operation ${operation.name} has an id that is not the SHA-256 of its body; run \`npm run compose\`.`);
      }
    }
    return new PersistedOperations(manifest.operations, requiredFor);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Puts the document of a persisted operation into the request body, or refuses: an unknown id, an id and
   * a text that disagree, or free text from a role held to the list.
   */
  resolve(body: Record<string, unknown>, role: Role): Record<string, unknown> {
    const extensions = (body.extensions ?? {}) as { persistedQuery?: { sha256Hash?: unknown } };
    const rawId = body.documentId ?? extensions.persistedQuery?.sha256Hash;
    if (rawId === undefined || rawId === null) {
      if (this.requiredFor.has(role)) {
        throw new HttpError(
          400,
          `Role "${role}" may run only the city's persisted operations: send their documentId instead of a query text (see schema/operations).`,
          'PERSISTED_QUERY_REQUIRED',
        );
      }
      return body;
    }
    const id = String(rawId).replace(/^sha256:/, '');
    const operation = this.byId.get(id);
    if (!operation) throw new HttpError(400, `No persisted operation has the id "${String(rawId).slice(0, 80)}".`, 'PERSISTED_QUERY_NOT_FOUND');
    if (typeof body.query === 'string' && body.query !== operation.body) {
      throw new HttpError(400, 'The request carries both a persisted operation id and a different query text.', 'PERSISTED_QUERY_MISMATCH');
    }
    const { documentId: _documentId, extensions: _extensions, ...rest } = body;
    const { persistedQuery: _persisted, ...otherExtensions } = extensions as Record<string, unknown>;
    return { ...rest, query: operation.body, ...(Object.keys(otherExtensions).length > 0 ? { extensions: otherExtensions } : {}) };
  }
}
