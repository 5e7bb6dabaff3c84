import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { subgraphEntry } from '../subgraphs/registry';

/**
 * `node --import tsx bench/subgraph.ts <name>`: one agency's subgraph, started by its own main.ts exactly as
 * `npm start` starts it (same settings, same kit entry, same shutdown), plus the one thing the benchmark
 * needs and the kit does not offer: a count of the GraphQL requests that reached it.
 *
 * The count comes from Node's own `http.server.request.start` diagnostics channel, which sees every
 * request any HTTP server of this process receives, so nothing of the kit is wrapped or re-implemented
 * and the entry keeps working while the kit's API moves. The benchmark asks for the count over the IPC
 * channel it spawned the process with ({ type: 'count' }), so no port is opened and no route is added.
 */
const name = process.argv[2] ?? '';
const entry = subgraphEntry(name);

let graphqlRequests = 0;
subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: IncomingMessage };
  if (request.url?.startsWith('/graphql')) graphqlRequests++;
});
process.on('message', (message: { type?: string; id?: number }) => {
  if (message?.type === 'count') process.send?.({ id: message.id, graphqlRequests });
});

await import(`../${entry.dir}/main.ts`);
