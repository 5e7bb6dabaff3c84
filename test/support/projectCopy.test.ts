import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectPath } from '../../platform/paths';
import { copyPlace, copyProject, type ProjectCopy } from './projectCopy';

/** Each test copies to a place of its own, so that it never takes the new-agency test's copy. */
let places: string[] = [];
let held: ProjectCopy[] = [];

function place(): string {
  const parent = mkdtempSync(join(tmpdir(), 'kediri-copy-test-'));
  places.push(parent);
  return join(parent, 'copy');
}

function copy(caches: string[], at: string): ProjectCopy {
  const project = copyProject(caches, at);
  held.push(project);
  return project;
}

afterEach(() => {
  for (const project of held) project.release();
  for (const parent of places) rmSync(parent, { recursive: true, force: true });
  places = [];
  held = [];
});

describe('a copy of the project', () => {
  it('holds the checked-out files and the installed packages, not builds, data or git', () => {
    const project = copy([], place());
    expect(readFileSync(join(project.root, 'package.json'), 'utf8')).toBe(readFileSync(projectPath('package.json'), 'utf8'));
    expect(existsSync(join(project.root, 'subgraphs', 'registry.ts'))).toBe(true);
    expect(lstatSync(join(project.root, 'node_modules')).isSymbolicLink()).toBe(true);
    for (const left of ['.git', 'dist', '.vitest-cache', '.test-build']) expect(existsSync(join(project.root, left)), left).toBe(false);
  });

  it('keeps its caches for the next run and replaces everything else', () => {
    const at = place();
    const first = copy(['.cache-a'], at);
    mkdirSync(join(first.root, '.cache-a'));
    writeFileSync(join(first.root, '.cache-a', 'entry'), 'learnt');
    writeFileSync(join(first.root, 'package.json'), 'changed by the test');
    writeFileSync(join(first.root, 'scratch.txt'), 'left by the test');
    first.release();
    held = held.filter((project) => project !== first);
    expect(readdirSync(at)).toEqual(['.cache-a']);
    // The installed packages behind the removed link are untouched.
    expect(existsSync(projectPath('node_modules', 'vitest', 'package.json'))).toBe(true);

    const second = copy(['.cache-a'], at);
    expect(second.root).toBe(at);
    expect(readFileSync(join(at, '.cache-a', 'entry'), 'utf8')).toBe('learnt');
    expect(readFileSync(join(at, 'package.json'), 'utf8')).toBe(readFileSync(projectPath('package.json'), 'utf8'));
    expect(existsSync(join(at, 'scratch.txt'))).toBe(false);
  });

  it('gives a second holder a throwaway copy of its own, which goes whole', () => {
    const at = place();
    const first = copy(['.cache-a'], at);
    const second = copy(['.cache-a'], at);
    expect(first.root).toBe(at);
    expect(second.root).not.toBe(at);
    second.release();
    held = held.filter((project) => project !== second);
    expect(existsSync(second.root)).toBe(false);
    expect(existsSync(join(at, 'package.json'))).toBe(true);
  });

  it('takes over the lock of a run that ended without releasing it', () => {
    const at = place();
    mkdirSync(`${at}.lock`, { recursive: true });
    // A process id that cannot be running: above Linux's largest.
    writeFileSync(join(`${at}.lock`, 'pid'), String(2 ** 22 + 1));
    expect(copy([], at).root).toBe(at);
  });

  it('is at one place per checkout', () => {
    expect(copyPlace()).toBe(copyPlace());
    expect(copyPlace().startsWith(tmpdir())).toBe(true);
  });
});
