import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyProject, type ProjectCopy } from './support/projectCopy';

/**
 * Adding an agency is one command: in a copy of the project, `npm run new-agency` scaffolds one, and right
 * after it the supergraph composes with it, the project type-checks, and its tests and the tests that hold
 * everything to the registry pass.
 */
const run = promisify(execFile);
let copy: string;

/** Runs a project command in the copy, as `npm run` would, and answers its output (failing with it). */
async function inCopy(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: copy, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_ENV: 'test', NO_COLOR: '1', FORCE_COLOR: '0' } });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${args.join(' ')} failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.message}`);
  }
}

const tsx = (entry: string, ...args: string[]) => inCopy(['--import', 'tsx', entry, ...args]);

/** What the copy keeps from one run to the next: the scaffold's type-check build info and Vitest's transformed modules. */
const BUILD_INFO = 'tsconfig.scaffolded.tsbuildinfo';
let project: ProjectCopy;

beforeAll(() => {
  project = copyProject([BUILD_INFO, '.vitest-cache']);
  copy = project.root;
});

afterAll(() => {
  project?.release();
});

describe('npm run new-agency', () => {
  it('scaffolds an agency with which the graph composes, type-checks and passes its tests', async () => {
    const scaffolded = await tsx('scripts/newAgency.ts', 'transport', '--port', '4008', '--agency', 'Dinas Perhubungan (bus stops)');
    expect(scaffolded).toContain('Scaffolded the transport agency');
    for (const file of ['schema.graphql', 'models.ts', 'pillar.ts', 'loaders.ts', 'mutations.ts', 'resolvers.ts', 'seed.ts', 'index.ts', 'main.ts', 'sampleWrites.ts', 'transport.test.ts']) {
      expect(existsSync(join(copy, 'subgraphs', 'transport', file)), file).toBe(true);
    }
    expect(readFileSync(join(copy, 'subgraphs', 'registry.ts'), 'utf8')).toContain("name: 'transport', port: 4008");
    expect(readFileSync(join(copy, 'docker-compose.yml'), 'utf8')).toContain('dist/subgraphs/transport/main.js');
    expect(readFileSync(join(copy, '.env.example'), 'utf8')).toMatch(/API_KEYS=.*=agency:transport/);

    // The type check needs nothing the other steps write, so it runs beside them. It checks what the scaffold wrote
    // (the agency's folder) and the registry it changed, with all they import; the rest of the copy is the project as
    // it is, which the suite's own type check covers. The line it added to the definitions, which import every agency,
    // is left to the copy's registry test, which loads every definition through it. Incremental, with build info of
    // the copy's own: a rerun checks again only what changed since the last.
    writeFileSync(
      join(copy, 'tsconfig.scaffolded.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { composite: false, incremental: true, tsBuildInfoFile: `./${BUILD_INFO}` },
        include: ['subgraphs/transport', 'subgraphs/registry.ts'],
      }),
    );
    const typeChecked = inCopy([join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(copy, 'tsconfig.scaffolded.json')]);
    typeChecked.catch(() => {});
    const composed = await tsx('schema/compose.ts');
    expect(composed).toMatch(/Wrote schema\/supergraph.graphql/);
    const supergraph = readFileSync(join(copy, 'schema', 'supergraph.graphql'), 'utf8');
    expect(supergraph).toContain('transportServices');
    expect(supergraph).toMatch(/transport: TransportIndicators/);

    // One worker: the few files run one after another in one process, which loads Apollo, mongoose and the store
    // once instead of twice, while the type check above and the suite around this test keep the cores busy.
    const tested = await inCopy([
      join(copy, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--maxWorkers=1',
      'subgraphs/transport',
      'subgraphs/registry.test.ts',
      'test/docker-compose.test.ts',
      'schema',
    ]);
    // The command exits 0 only when every test passed; the new agency's own tests are among them.
    expect(tested).toContain('subgraphs/transport/transport.test.ts');
    expect(tested).toMatch(/Test Files\s+\d+ passed/);
    await typeChecked;
  }, 600_000);

  it('refuses a name or port the registry already has, saying which', async () => {
    await expect(tsx('scripts/newAgency.ts', 'tax', '--port', '4999')).rejects.toThrow(/already has a subgraph named "tax"/);
    await expect(tsx('scripts/newAgency.ts', 'parks', '--port', '4001')).rejects.toThrow(/Port 4001 is taken by the tax subgraph/);
    await expect(tsx('scripts/newAgency.ts', 'Parks!', '--port', '4999')).rejects.toThrow(/lower-case letters and digits/);
  });
});
