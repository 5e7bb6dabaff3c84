import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { browserBundle } from './browserBundle';
import { projectPath } from './paths';

/**
 * A bundle is kept between starts only while every file it was built from is unchanged: a page edited since
 * is built anew, whichever of its modules changed, and a damaged kept bundle is built anew too.
 */
const folder = mkdtempSync(join(tmpdir(), 'kediri-bundle-'));
const name = `bundle-test-${process.pid}`;
const keptFolder = projectPath('node_modules', '.cache', 'kediri-bundles');
const keptFiles = () => readdirSync(keptFolder).filter((file) => file.startsWith(`${name}-`) && !file.startsWith(`${name}-editing-`));

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  for (const file of readdirSync(keptFolder).filter((file) => file.startsWith(`${name}-`))) rmSync(join(keptFolder, file), { force: true });
});

const options = () => ({ entryPoints: [join(folder, 'main.js')], bundle: true, format: 'esm' as const, logLevel: 'silent' as const });
const script = async () => [...(await browserBundle(name, options())).values()][0];

describe('a kept browser bundle', () => {
  it('is built, kept, and answered again while its sources are unchanged', async () => {
    writeFileSync(join(folder, 'answer.js'), 'export const answer = 41;\n');
    writeFileSync(join(folder, 'main.js'), "import { answer } from './answer.js';\nconsole.log(answer);\n");
    const first = await script();
    expect(first).toContain('41');
    expect(keptFiles()).toHaveLength(1);
    expect(await script()).toBe(first);
  });

  it('is built anew when a module it imports changed', async () => {
    writeFileSync(join(folder, 'answer.js'), 'export const answer = 42;\n');
    const rebuilt = await script();
    expect(rebuilt).toContain('42');
    expect(rebuilt).not.toContain('41');
  });

  it('is not kept when a source is edited while it builds', async () => {
    const editing = `${name}-editing`;
    const editedDuringBuild: Plugin = {
      name: 'edited-during-build',
      setup(build) {
        build.onLoad({ filter: /answer\.js$/ }, async () => {
          const contents = 'export const answer = 43;\n';
          // An editor saving the file a moment after the build began.
          await new Promise((resolve) => setTimeout(resolve, 20));
          writeFileSync(join(folder, 'answer.js'), contents);
          return { contents, loader: 'js' };
        });
      },
    };
    expect([...(await browserBundle(editing, { ...options(), plugins: [editedDuringBuild] })).values()][0]).toContain('43');
    expect(readdirSync(keptFolder).filter((file) => file.startsWith(`${editing}-`))).toEqual([]);
  });

  it('is built anew when the kept file is damaged', async () => {
    writeFileSync(join(folder, 'answer.js'), 'export const answer = 42;\n');
    await script();
    for (const file of keptFiles()) writeFileSync(join(keptFolder, file), '{"inputs": [');
    expect(await script()).toContain('42');
  });
});
