import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { projectPath, projectRoot } from '../platform/paths';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * `npm run build`: compiles every process entry (the launcher, the gateway, each subgraph, the embedded
 * store and the commands) into JavaScript under dist/, one bundle per entry, with the npm packages left
 * as imports. Production and `npm start` run these bundles with plain Node: no TypeScript transpiler in
 * the process, and no source maps making every stack read dearer.
 */
const ENTRIES = [
  'scripts/start.ts',
  'scripts/seed.ts',
  'scripts/figures.ts',
  'scripts/sample/worker.ts',
  'gateway/main.ts',
  'embedded-mongo/main.ts',
  ...SUBGRAPHS.map((entry) => `${entry.dir}/main.ts`),
];

const started = Date.now();
const outdir = projectPath('dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: projectRoot(),
  entryPoints: ENTRIES,
  outdir,
  outbase: '.',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  splitting: true,
  logLevel: 'warning',
});
console.log(`Built ${ENTRIES.length} entries into dist/ in ${Date.now() - started} ms.`);
