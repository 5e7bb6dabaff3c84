import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DataVersions } from '../gateway/versions';
import { waitUntil } from './support/processes';

/**
 * The gateway's poll of the subgraphs' data versions, against two stand-in subgraphs: one that answers and
 * one that is frozen (accepts the connection, never answers). A frozen agency must not slow down how soon
 * the gateway hears of another agency's writes, and is never asked twice at once.
 */
const servers: Server[] = [];
let versions: DataVersions | undefined;

afterEach(async () => {
  versions?.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
}

describe('DataVersions with one subgraph frozen', () => {
  it('hears of a write to the city within a poll interval or two, and asks the frozen subgraph once at a time', async () => {
    let cityVersion = 1;
    let cityAsked = 0;
    const city = await serve((_request, response) => {
      cityAsked += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ subgraph: 'city', dataVersion: cityVersion }));
    });
    let asked = 0;
    let waiting = 0;
    let mostWaiting = 0;
    const health = await serve((request) => {
      asked += 1;
      waiting += 1;
      mostWaiting = Math.max(mostWaiting, waiting);
      request.socket.once('close', () => (waiting -= 1));
    });
    versions = new DataVersions(() => ({ city, health }), 100);
    versions.start();
    await waitUntil('the first version of the city', () => versions!.get('city') === 1, { timeoutMs: 5_000, intervalMs: 20 });

    // A write to the city, seen at the next poll: not held up by the frozen subgraph's two-second timeout.
    cityVersion = 2;
    const written = Date.now();
    await waitUntil('the new version of the city', () => versions!.get('city') === 2, { timeoutMs: 5_000, intervalMs: 20 });
    expect(Date.now() - written).toBeLessThan(1_000);

    // Several more polls of the city, while the first question to health is still unanswered.
    const polled = cityAsked;
    await waitUntil('five more polls of the city', () => cityAsked >= polled + 5, { timeoutMs: 5_000, intervalMs: 20 });
    expect(asked).toBeGreaterThan(0);
    expect(mostWaiting).toBe(1);
    expect(versions.get('health')).toBeUndefined();
  });
});
