import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../platform/paths';

/**
 * The gateway shares a small platform layer with the subgraphs (identity, HTTP, settings, errors, the
 * audit record's shape) and nothing else: it never loads the subgraph runtime (mongoose, the driver, the
 * embedded store, seeding). Its import graph, as the production bundle sees it, proves it.
 */
async function importGraph(entry: string) {
  const result = await build({
    absWorkingDir: projectRoot(),
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const files = Object.keys(result.metafile.inputs);
  const packages = new Set(
    Object.values(result.metafile.outputs).flatMap((output) => output.imports.filter((item) => item.external).map((item) => item.path)),
  );
  return { files, packages };
}

describe("the gateway's imports", () => {
  it('load nothing of the subgraph runtime: no mongoose, no MongoDB driver, no embedded store, no kit', async () => {
    const { files, packages } = await importGraph('gateway/main.ts');
    expect(files.filter((file) => file.startsWith('subgraphs/') && file !== 'subgraphs/registry.ts')).toEqual([]);
    expect(files.filter((file) => file.startsWith('embedded-mongo/'))).toEqual([]);
    for (const name of ['mongoose', 'mongodb', 'bson']) expect([...packages].some((path) => path === name || path.startsWith(`${name}/`)), name).toBe(false);
    expect(files).toContain('platform/identity.ts');
  });

  it('keep the platform layer free of the subgraph runtime too', async () => {
    for (const entry of ['platform/identity.ts', 'platform/http.ts', 'platform/config.ts', 'platform/audit.ts', 'platform/errors.ts']) {
      const { files, packages } = await importGraph(entry);
      expect(files.every((file) => file.startsWith('platform/')), entry).toBe(true);
      expect([...packages].filter((path) => ['mongoose', 'mongodb'].includes(path)), entry).toEqual([]);
    }
  });
});
