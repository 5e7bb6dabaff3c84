import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../platform/paths';
import { SUBGRAPHS, type SubgraphEntry } from '../subgraphs/registry';
import { dockerCompose } from './dockerCompose';
import * as templates from './newAgency/templates';

/**
 * `npm run new-agency -- <name> --port <n> [--agency "Dinas ..."]`: scaffolds a new agency with the agency
 * contract's shape and wires it everywhere the registry reaches: the registry entry, the definitions list,
 * docker-compose.yml and a development API key. Right after it, `npm run compose` and `npm test` pass; the
 * agency developer then makes it theirs in schema.graphql and resolvers.ts (and models, pillar and mutations
 * as the program's data requires).
 */
const USAGE = 'usage: npm run new-agency -- <name> --port <1024-65535> [--agency "Who runs it (program)"]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: string[]): { name: string; port: number; agency: string } {
  let name: string | undefined;
  let port: number | undefined;
  let agency: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '--agency') agency = argv[++i];
    else if (!arg.startsWith('-') && name === undefined) name = arg;
    else fail(`Unexpected argument "${arg}".`);
  }
  if (!name || !/^[a-z][a-z0-9]{1,30}$/.test(name)) fail(`Expected an agency name of lower-case letters and digits, e.g. "transport", received "${name ?? ''}".`);
  if (SUBGRAPHS.some((entry) => entry.name === name)) fail(`The registry already has a subgraph named "${name}".`);
  if (port === undefined || !Number.isInteger(port) || port < 1024 || port > 65_535) fail(`Expected --port with a port from 1024 to 65535, received "${port ?? ''}".`);
  const taken = SUBGRAPHS.find((entry) => entry.port === port);
  if (taken || port === 4000) fail(`Port ${port} is taken by ${taken ? `the ${taken.name} subgraph` : 'the gateway'}.`);
  return { name, port, agency: agency ?? `The ${name} agency` };
}

/** Inserts `line` before the first line matching `before` (or throws naming the file): text edits that keep the file's own layout. */
function insertBefore(path: string, before: RegExp, line: string): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const at = lines.findIndex((candidate) => before.test(candidate));
  if (at < 0) throw new Error(`${path}: found no line matching ${before} to insert before.`);
  lines.splice(at, 0, line);
  writeFileSync(path, lines.join('\n'));
}

function main(): void {
  const { name, port, agency } = parse(process.argv.slice(2));
  const names = templates.namesOf(name, port, agency);
  const dir = projectPath('subgraphs', name);
  if (existsSync(dir)) fail(`subgraphs/${name} already exists.`);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'schema.graphql': templates.schemaGraphql(names),
    'models.ts': templates.modelsTs(names),
    'rules.ts': templates.rulesTs(names),
    'pillar.ts': templates.pillarTs(names),
    'loaders.ts': templates.loadersTs(names),
    'mutations.ts': templates.mutationsTs(names),
    'resolvers.ts': templates.resolversTs(names),
    'seed.ts': templates.seedTs(names),
    'index.ts': templates.indexTs(names),
    'main.ts': templates.mainTs(names),
    'sampleWrites.ts': templates.sampleWritesTs(names),
    [`${name}.test.ts`]: templates.testTs(names),
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);

  const entry: SubgraphEntry = { name, port, dir: `subgraphs/${name}`, pillar: name, agency };
  insertBefore(projectPath('subgraphs', 'registry.ts'), /name: 'city'/, `  ${JSON.stringify(entry).replace(/"(\w+)":/g, '$1: ').replace(/"/g, "'").replace(/,/g, ', ').replace(/^\{/, '{ ').replace(/\}$/, ' }')},`);
  insertBefore(projectPath('subgraphs', 'definitions.ts'), /^\s+city: /, `  ${name}: () => import('./${name}/index'),`);
  const cityAt = SUBGRAPHS.findIndex((candidate) => candidate.name === 'city');
  const registry = [...SUBGRAPHS.slice(0, cityAt), entry, ...SUBGRAPHS.slice(cityAt)];
  writeFileSync(projectPath('docker-compose.yml'), dockerCompose(registry));
  const envPath = projectPath('.env.example');
  const key = `dev-${name}-key-`.padEnd(21, '0');
  writeFileSync(envPath, readFileSync(envPath, 'utf8').replace(/^(API_KEYS=.*)$/m, `$1,${key}=agency:${name}`));

  console.log(`Scaffolded the ${name} agency:
  subgraphs/${name}/   ${Object.keys(files).join(', ')}
  subgraphs/registry.ts, subgraphs/definitions.ts, docker-compose.yml, .env.example (key ${key})
Next: npm run compose   (adds the agency to schema/supergraph.graphql)
      npm test          (its test is subgraphs/${name}/${name}.test.ts)
Then make it yours in subgraphs/${name}/schema.graphql and resolvers.ts.`);
}

main();
