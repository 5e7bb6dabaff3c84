import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerCompose } from '../scripts/dockerCompose';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * No Docker engine runs where the tests run, so this reads docker-compose.yml as compose would. The file is
 * derived from the registry: the committed one must be exactly what the registry gives, and what it gives
 * must hold together (a replica set for transactions, a service per subgraph, healthchecks that ask).
 */
const text = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
const compose = parse(text);
const services = compose.services as Record<string, any>;

describe('docker-compose.yml', () => {
  it('is exactly what the registry gives (run `npm run new-agency` or regenerate it after changing the registry)', () => {
    expect(text).toBe(dockerCompose(SUBGRAPHS));
  });

  it('runs MongoDB as a one-member replica set on a named volume, initiated and checked by its healthcheck', () => {
    expect(services.mongo.command).toEqual(['mongod', '--replSet', 'rs0', '--bind_ip_all']);
    expect(services.mongo.volumes).toContain('mongo-data:/data/db');
    expect(Object.keys(compose.volumes)).toContain('mongo-data');
    expect(services.mongo.healthcheck.test.join(' ')).toContain("rs.initiate({ _id: 'rs0'");
  });

  describe.each(SUBGRAPHS.map((entry) => [entry.name, entry] as const))('subgraph %s', (name, entry) => {
    const service = services[name];

    it('runs its compiled entry point on its registry port, against the replica set, with the shared secrets', () => {
      expect(service.command).toEqual([`dist/${entry.dir}/main.js`]);
      expect(service.environment.PORT).toBe(String(entry.port));
      expect(service.environment.MONGODB_URI).toBe('mongodb://mongo:27017/?replicaSet=rs0');
      expect(service.environment.IDENTITY_SECRET).toContain('IDENTITY_SECRET:?');
      expect(service.environment.RESIDENT_ID_SECRET).toContain('RESIDENT_ID_SECRET:?');
      expect(service.environment.NODE_ENV).toBe('production');
    });

    it('never seeds sample data by itself, and is checked by asking its own /health', () => {
      expect(service.environment.SEED_IF_EMPTY).toBeUndefined();
      expect(service.healthcheck.test.join(' ')).toContain(`127.0.0.1:${entry.port}/health`);
    });

    it('is routed by the gateway', () => {
      expect(services.gateway.environment[`SUBGRAPH_URL_${name.toUpperCase()}`]).toBe(`http://${name}:${entry.port}/graphql`);
    });
  });

  it('gives the audit secret to the city subgraph, which owns the audit log, and to no other service', () => {
    const holders = Object.entries(services).filter(([, service]) => service.environment?.AUDIT_SECRET).map(([name]) => name);
    expect(holders).toEqual(['city']);
  });

  it('has a gateway on port 4000 whose healthcheck is readiness, holding the public to persisted operations', () => {
    expect(services.gateway.ports).toContain('4000:4000');
    expect(services.gateway.healthcheck.test.join(' ')).toContain('/ready');
    expect(services.gateway.environment.REQUIRE_PERSISTED_OPERATIONS).toContain('public');
  });

  it('writes sample data only when asked, through the seed service of the "sample" profile', () => {
    expect(services.seed.profiles).toEqual(['sample']);
    expect(services.seed.command).toEqual(['dist/scripts/seed.js']);
  });

  it('never waits by sleeping: no command, entry point or healthcheck sleeps', () => {
    for (const [name, service] of Object.entries(services)) {
      const words = JSON.stringify([service.command, service.entrypoint, service.healthcheck]);
      expect(words, `service ${name}`).not.toMatch(/\bsleep\b/);
    }
  });
});
