import { runCompose } from './run-compose';

/**
 * `npm run compose` recomposes schema/supergraph.graphql and schema/persisted-operations.json, refusing when
 * the change would break clients; `npm run compose -- --check` only checks (exit 1 on a stale file, an
 * unacknowledged breaking change or a persisted operation that no longer validates), for CI and pre-commit.
 * The work is in run-compose.ts, where tests can point it at other files.
 */
process.exitCode = runCompose(process.argv.slice(2));
