import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { projectPath } from './paths';

/**
 * For development only: fills settings that the environment leaves unset from `.env` (the developer's
 * own) and then `.env.example` (the committed development defaults), so that `npm start` and a subgraph
 * run alone work on a fresh clone. Production sets NODE_ENV=production and gets nothing from files.
 */
export function loadDevelopmentEnv(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === 'production') return;
  for (const file of ['.env', '.env.example']) {
    const path = projectPath(file);
    if (!existsSync(path)) continue;
    for (const [key, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
      if (env[key] === undefined) env[key] = value;
    }
  }
}
