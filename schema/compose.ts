import { readFileSync, writeFileSync } from 'node:fs';
import { CompositionError, SUPERGRAPH_URL, composeSupergraph } from './composition';

/**
 * `npm run compose` writes schema/supergraph.graphql; `npm run compose -- --check` only reports whether
 * the committed file is current (exit 1 when stale), for CI and pre-commit use.
 */
function main(): number {
  const check = process.argv.includes('--check');
  let sdl: string;
  try {
    sdl = composeSupergraph();
  } catch (error) {
    console.error(error instanceof CompositionError ? error.message : error);
    return 1;
  }
  if (check) {
    const current = readFileSync(SUPERGRAPH_URL, 'utf8');
    if (current !== sdl) {
      console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit the result.');
      return 1;
    }
    console.log('schema/supergraph.graphql is current.');
    return 0;
  }
  writeFileSync(SUPERGRAPH_URL, sdl);
  console.log(`Wrote schema/supergraph.graphql (${sdl.length} characters).`);
  return 0;
}

process.exitCode = main();
