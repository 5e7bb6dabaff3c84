import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectPath, projectRoot } from '../../platform/paths';

/**
 * A copy of the project for a test that changes it (the new-agency test scaffolds an agency in it), sharing the
 * project's installed packages.
 *
 * The copy lives at one place per checkout and keeps `caches` (names of files or folders at its top) from one run
 * to the next: the type checker's build info and Vitest's transformed modules both name files by their path, so
 * in a copy at a new place every run would type-check and transform everything again. Each run replaces
 * everything else with the project as checked out, and the caches only ever save work: they are keyed by the
 * files' contents. A second run of the suite while another holds the copy gets a throwaway copy of its own.
 */
export interface ProjectCopy {
  root: string;
  /** Removes the copy's files but its caches (a throwaway copy goes whole), and lets the next run have it. */
  release(): void;
}

/** What the copy leaves out: installed packages, builds, caches, data, the developer's .env and git. */
const LEFT_OUT = /(^|\/)(node_modules|dist|\.test-build|\.vitest-cache|\.git|\.data|\.probe|\.env)(\/|$)/;

/** The copy's place for this checkout. */
export function copyPlace(): string {
  return join(tmpdir(), `kediri-project-copy-${createHash('sha256').update(projectRoot()).digest('hex').slice(0, 12)}`);
}

export function copyProject(caches: readonly string[], place = copyPlace()): ProjectCopy {
  const root = projectRoot();
  const lock = `${place}.lock`;
  const held = takeLock(lock);
  const copy = held ? place : mkdtempSync(join(tmpdir(), 'kediri-project-copy-'));
  mkdirSync(copy, { recursive: true });
  removeAllBut(copy, caches);
  cpSync(root, copy, { recursive: true, filter: (source) => !LEFT_OUT.test(relative(root, source)) });
  symlinkSync(projectPath('node_modules'), join(copy, 'node_modules'));
  return {
    root: copy,
    release() {
      if (!held) return rmSync(copy, { recursive: true, force: true });
      removeAllBut(copy, caches);
      rmSync(lock, { recursive: true, force: true });
    },
  };
}

/** Removes what the folder holds but `kept`; a symbolic link goes, not what it points to. */
function removeAllBut(folder: string, kept: readonly string[]): void {
  for (const name of readdirSync(folder)) if (!kept.includes(name)) rmSync(join(folder, name), { recursive: true, force: true });
}

/**
 * Takes the lock folder for this process; false when a live process holds it. A lock whose process is gone (a run
 * killed before its end) is taken over.
 */
function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch {
      if (holderIsAlive(lock)) return false;
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return false;
}

function holderIsAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // No pid yet: another run is between making the lock and writing its pid, unless that was long ago.
    try {
      return Date.now() - statSync(lock).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process is there, run by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
