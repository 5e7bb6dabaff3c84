import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS, type SubgraphEntry } from '../subgraphs/registry';

/**
 * Composition of the supergraph from every registered subgraph's SDL. The result is committed as
 * supergraph.graphql: the gateway serves exactly what was reviewed, and a test fails when the committed
 * file no longer matches the subgraphs.
 */
export const ROOT = new URL('../', import.meta.url);
export const SUPERGRAPH_URL = new URL('./supergraph.graphql', import.meta.url);

/** The routing URL written into the supergraph: the registry's port, on the host docker-compose and the launcher use. */
export function defaultSubgraphUrl(entry: SubgraphEntry): string {
  return `http://localhost:${entry.port}/graphql`;
}

export function readSubgraphSdl(entry: SubgraphEntry): string {
  return readFileSync(new URL(`${entry.dir}/schema.graphql`, ROOT), 'utf8');
}

export class CompositionError extends Error {
  override name = 'CompositionError';
}

export function composeSupergraph(entries: readonly SubgraphEntry[] = SUBGRAPHS): string {
  const services = entries.map((entry) => {
    const sdl = readSubgraphSdl(entry);
    try {
      return { name: entry.name, url: defaultSubgraphUrl(entry), typeDefs: parse(sdl) };
    } catch (error) {
      throw new CompositionError(`${entry.dir}/schema.graphql does not parse: ${(error as Error).message}`);
    }
  });
  const result = composeServices(services);
  if (result.errors) {
    const lines = result.errors.map((error) => `- ${error.message}`).join('\n');
    throw new CompositionError(`Composition failed with ${result.errors.length} error(s):\n${lines}`);
  }
  return result.supergraphSdl;
}
