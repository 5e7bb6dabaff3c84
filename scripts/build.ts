import { projectPath } from '../platform/paths';
import { compileEntries, ENTRIES } from './bundles';

/**
 * `npm run build`: compiles every process entry (the launcher, the gateway, each subgraph, the embedded
 * store and the commands) into dist/ (see bundles.ts). Production and `npm start` run these bundles with plain
 * Node: no TypeScript transpiler in the process, and no source maps making every stack read dearer.
 */
const started = Date.now();
await compileEntries(projectPath('dist'));
console.log(`Built ${ENTRIES.length} entries into dist/ in ${Date.now() - started} ms.`);
