import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql in every test process: Apollo's packages load graphql's CommonJS build, and so must the
    // project's own code, or schema objects built by one copy fail instanceof checks in the other.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['**/*.test.ts'],
    // Hidden folders hold tools' scratch copies, never tests of the project.
    exclude: ['node_modules/**', '**/.*/**', 'dist/**'],
    // Tests start real servers and a real store: give their setup room on a busy two-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time, also on a two-core machine (Vitest would run one there): most of a file's time
    // is spent waiting on the servers it started, so a second file fills the gaps.
    maxWorkers: 2,
    // A worker runs its files one after another in one module graph instead of loading Apollo, mongoose and
    // graphql afresh for each (a minute of the suite's CPU). Every file starts its own servers and stores and
    // stops them in afterAll, so none depends on what another left behind.
    isolate: false,
    // A young generation of 64 MB: the end-to-end files hold whole agencies' sample data in memory and churn
    // through short-lived documents, and with the default one a fifth of their time went to collecting
    // garbage (the read-model test runs in three quarters of the time). Garbage is collected on the worker's own
    // thread: with two workers on two cores, V8's helper threads only take turns with the other worker, and
    // cost more CPU than they save (the agency tests and the read-model test take a seventh less CPU without them).
    execArgv: ['--max-semi-space-size=64', '--single-threaded-gc'],
    // The process entries are compiled once per run for the child processes tests start, and each agency's sample
    // data is seeded once per run (by those compiled writers) and loaded by every test that asks for it.
    globalSetup: ['test/support/compiled.ts', 'test/support/sampleData.ts'],
    // Each module is transformed once and kept on disk for later runs, keyed by its content: a rerun transforms
    // only what changed. The folder is the checkout's own (a copy of the project sharing its installed packages
    // keeps its own).
    experimental: { fsModuleCache: true, fsModuleCachePath: '.vitest-cache' },
  },
});
