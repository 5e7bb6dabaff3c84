import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { projectPath } from './paths';

/**
 * Browser code that a service bundles with esbuild when a page is first asked for (the dashboard, the explorer),
 * kept between starts: a bundle is stored with the content hash of every file it was built from, as esbuild's
 * metafile lists them, and is used again only while each of those files still has that content. Any other
 * change (an edited page, an updated package) builds anew. Where the folder cannot be written (a read-only
 * image), every start builds, as it would without the folder.
 */
const CACHE = projectPath('node_modules', '.cache', 'kediri-bundles');

/** The bundle's output files, by file name (esbuild's entry names, hashes included). */
export type BundleFiles = Map<string, string>;

interface CachedBundle {
  /** Each input as esbuild names it (relative to the project), with the sha256 of its content. */
  inputs: [string, string][];
  files: [string, string][];
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/**
 * Where a bundle of these options is kept: one file per name and options, the plugins counted by name (their code
 * is the caller's, which names them), with esbuild's own version.
 */
function cachePath(name: string, options: BuildOptions, esbuildVersion: string): string {
  const described = JSON.stringify({ ...options, plugins: options.plugins?.map((plugin) => plugin.name), esbuildVersion });
  return join(CACHE, `${name}-${sha256(described).slice(0, 16)}.json`);
}

/** The kept bundle when every file it was built from is unchanged; undefined when there is none or one changed. */
function readKept(path: string): BundleFiles | undefined {
  let kept: CachedBundle;
  try {
    kept = JSON.parse(readFileSync(path, 'utf8')) as CachedBundle;
  } catch {
    return undefined;
  }
  for (const [input, hash] of kept.inputs) {
    try {
      if (sha256(readFileSync(projectPath(input))) !== hash) return undefined;
    } catch {
      return undefined;
    }
  }
  return new Map(kept.files);
}

/**
 * Keeps a bundle with the hashes of its inputs, unless one of them changed after the build began (an edit during the
 * build): its hash now would not be of what was bundled.
 */
function keep(path: string, inputs: string[], files: BundleFiles, builtSince: number): void {
  try {
    // To the millisecond, as Date.now() counts: a file written just before the build may carry a finer time within it.
    if (inputs.some((input) => Math.floor(statSync(projectPath(input)).mtimeMs) > builtSince)) return;
    const kept: CachedBundle = { inputs: inputs.map((input) => [input, sha256(readFileSync(projectPath(input)))]), files: [...files] };
    mkdirSync(CACHE, { recursive: true });
    // Written aside and renamed: a process reading at the same moment sees the old bundle or the new, never half.
    const aside = `${path}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(kept));
    renameSync(aside, path);
  } catch {
    // An input that is not a plain file, or a folder that cannot be written: the bundle is simply not kept.
  }
}

/**
 * Bundles with esbuild in memory (`write: false`), or answers the bundle kept from an earlier build of the same
 * options whose inputs have not changed. `name` tells the kept bundles apart, e.g. `explorer`.
 */
export async function browserBundle(name: string, options: BuildOptions): Promise<BundleFiles> {
  // Loaded when a page is first asked for, not when the service starts: most services never serve one.
  const esbuild = await import('esbuild');
  const path = cachePath(name, options, esbuild.version);
  const kept = readKept(path);
  if (kept) return kept;
  const builtSince = Date.now();
  const result = await esbuild.build({ absWorkingDir: projectPath(), ...options, write: false, metafile: true });
  const files: BundleFiles = new Map(result.outputFiles.map((file) => [basename(file.path), file.text]));
  keep(path, Object.keys(result.metafile.inputs), files, builtSince);
  return files;
}
