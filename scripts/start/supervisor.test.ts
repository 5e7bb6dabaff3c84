import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../platform/logging';
import { freePort, waitUntil } from '../../test/support/processes';
import { Supervisor, type ServiceSpec } from './supervisor';

/**
 * The supervisor with real child processes: a small node program that exits with code 3 on its first
 * FAIL_STARTS starts (it counts them in a file) and then serves /health, so a test decides how often a
 * service fails before it is ready.
 */
const SERVICE = `
const fs = require('node:fs');
const starts = Number(fs.existsSync(process.env.COUNT_FILE) ? fs.readFileSync(process.env.COUNT_FILE, 'utf8') : 0) + 1;
fs.writeFileSync(process.env.COUNT_FILE, String(starts));
if (starts <= Number(process.env.FAIL_STARTS)) process.exit(3);
const server = require('node:http').createServer((request, response) => response.end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

interface LogLine {
  level: 'info' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

let dir: string;
let supervisor: Supervisor | undefined;
let lines: LogLine[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kediri-supervisor-'));
});

afterEach(async () => {
  await supervisor?.stop();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capturingLogger(): Logger {
  lines = [];
  const record = (level: LogLine['level']) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { info: record('info'), error: record('error') } as unknown as Logger;
}

async function service(name: string, failStarts: number): Promise<ServiceSpec> {
  const port = await freePort();
  return {
    name,
    args: ['-e', SERVICE],
    env: { ...process.env, PORT: String(port), FAIL_STARTS: String(failStarts), COUNT_FILE: join(dir, `${name}-${port}`) },
    readyUrl: `http://127.0.0.1:${port}/health`,
  };
}

function alive(pid: number | undefined): boolean {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a service that stops does not stop the others', () => {
  it('starts a service that exits before it is ready again, waiting twice as long each time, and leaves the others running', async () => {
    supervisor = new Supervisor(capturingLogger(), { firstMs: 100, maxMs: 1_000 });
    const late = supervisor.start(await service('late', 2));
    const steady = supervisor.start(await service('steady', 0));
    const steadyPid = steady.pid;

    expect(await supervisor.waitForReady(20_000)).toEqual({ notReady: [] });
    expect(late.restarts).toBe(2);
    expect(steady.restarts).toBe(0);
    expect(steady.pid).toBe(steadyPid);
    const exits = lines.filter((line) => line.level === 'error');
    expect(exits.map((line) => [line.fields.service, line.fields.code, line.fields.restartInMs])).toEqual([
      ['late', 3, 100],
      ['late', 3, 200],
    ]);
    expect(exits[0].message).toContain('late stopped (exit code 3) before it was ready; starting it again in 0.1 s');
  });

  it('starts a service killed while serving again after the shortest wait, and says when it is ready again', async () => {
    supervisor = new Supervisor(capturingLogger(), { firstMs: 100, maxMs: 1_000 });
    const killed = supervisor.start(await service('killed', 0));
    await supervisor.waitForReady(20_000);
    const firstPid = killed.pid;

    process.kill(firstPid!, 'SIGKILL');
    await waitUntil('the killed service to be ready again', () => killed.isReady && killed.pid !== firstPid, { timeoutMs: 20_000 });
    expect(killed.restarts).toBe(1);
    const exit = lines.find((line) => line.level === 'error')!;
    expect(exit.fields).toMatchObject({ service: 'killed', signal: 'SIGKILL', restartInMs: 100 });
    expect(exit.message).toContain('while serving');
    expect(lines.some((line) => line.level === 'info' && line.message === 'killed is ready again')).toBe(true);
  });
});

describe('waiting and stopping', () => {
  it('names the services not ready when the wait is over, and stop() ends every child with none started again', async () => {
    supervisor = new Supervisor(capturingLogger(), { firstMs: 100, maxMs: 200 });
    const failing = supervisor.start(await service('failing', 1_000));
    const serving = supervisor.start(await service('serving', 0));

    expect(await supervisor.waitForReady(1_500)).toEqual({ notReady: ['failing'] });
    expect(failing.restarts).toBeGreaterThan(1);
    // The waits grow to the ceiling and stay there. On a busy machine a start takes longer, and the fourth exit
    // may come after the wait above: the sequence is read once it is there.
    const waits = () => lines.filter((line) => line.level === 'error').map((line) => line.fields.restartInMs);
    await waitUntil('four restarts of the failing service', () => waits().length >= 4, { timeoutMs: 15_000 });
    expect(waits().slice(0, 4)).toEqual([100, 200, 200, 200]);

    const servingPid = serving.pid;
    await supervisor.stop();
    expect(alive(servingPid)).toBe(false);
    const restartsAtStop = failing.restarts;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(failing.restarts).toBe(restartsAtStop);
    expect(alive(failing.pid)).toBe(false);
  });
});
