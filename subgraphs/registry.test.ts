import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '../gateway/config';
import { DEFINITIONS, loadDefinition } from './definitions';
import { SUBGRAPHS } from './registry';

/**
 * The registry is the one source of the subgraphs: everything that lists them is derived from it or held
 * to it here (docker-compose.yml has its own test, test/docker-compose.test.ts).
 */
describe('the registry', () => {
  it('names each subgraph once, on a port of its own, in a folder named after it', () => {
    expect(new Set(SUBGRAPHS.map((entry) => entry.name)).size).toBe(SUBGRAPHS.length);
    expect(new Set(SUBGRAPHS.map((entry) => entry.port)).size).toBe(SUBGRAPHS.length);
    for (const entry of SUBGRAPHS) expect(entry.dir).toBe(`subgraphs/${entry.name}`);
  });

  it('has a loadable definition for every entry, and no definition without an entry', async () => {
    expect(Object.keys(DEFINITIONS).sort()).toEqual(SUBGRAPHS.map((entry) => entry.name).sort());
    for (const entry of SUBGRAPHS) expect((await loadDefinition(entry.name)).name).toBe(entry.name);
  });

  it("states each agency's pillar as its definePillar does", async () => {
    for (const entry of SUBGRAPHS) {
      const definition = await loadDefinition(entry.name);
      expect(definition.pillar?.definition.field, entry.name).toBe(entry.pillar);
    }
  });

  it('gives every role of the city a development key in .env.example, and no role the city does not have', () => {
    const env = parseEnv(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'));
    const roles = [...parseApiKeys(env.API_KEYS).values()].map((key) => key.role).sort();
    expect(roles).toEqual(['auditor', 'caseworker', 'dashboard', ...SUBGRAPHS.map((entry) => `agency:${entry.name}`)].sort());
  });
});
