import type { AgencyDefinition } from './kit/agency';
import { SUBGRAPHS } from './registry';

/**
 * Every registered subgraph's definition, loaded on demand, for the commands (seed, figures) and the tests;
 * the gateway never imports this file. A static import per agency lets the build bundle each of them;
 * `npm run new-agency` adds the line, and a test holds this list to the registry.
 */
export const DEFINITIONS: Record<string, () => Promise<Record<string, unknown>>> = {
  tax: () => import('./tax/index'),
  health: () => import('./health/index'),
  environment: () => import('./environment/index'),
  education: () => import('./education/index'),
  economy: () => import('./economy/index'),
  branding: () => import('./branding/index'),
  city: () => import('./city/index'),
};

/** A registered subgraph's definition by name; its index.ts exports it under that name. */
export async function loadDefinition(name: string): Promise<AgencyDefinition<any, any>> {
  const load = DEFINITIONS[name];
  if (!load) throw new Error(`Unknown subgraph "${name}": expected one of ${SUBGRAPHS.map((e) => e.name).join(', ')}.`);
  const definition = (await load())[name] as AgencyDefinition<any, any> | undefined;
  if (!definition) throw new Error(`subgraphs/${name}/index.ts must export "${name}".`);
  return definition;
}
