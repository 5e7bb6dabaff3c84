import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const keptFiles = () => readdirSync(keptFolder).filter((file) => file.startsWith(`${name}-`));

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  for (const file of keptFiles()) rmSync(join(keptFolder, file), { force: true });
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

  it('is built anew when the kept file is damaged', async () => {
    for (const file of keptFiles()) writeFileSync(join(keptFolder, file), '{"inputs": [');
    expect(await script()).toContain('42');
  });
});
