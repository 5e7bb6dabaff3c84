import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SUBGRAPHS } from '../subgraphs/registry';

/**
 * No Docker engine runs where the tests run, so this reads docker-compose.yml as compose would and checks
 * that it matches the registry: a subgraph added to the registry but not to compose fails here.
 */
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;

describe('docker-compose.yml', () => {
  it('keeps MongoDB on a named volume with a healthcheck', () => {
    expect(services.mongo.volumes).toContain('mongo-data:/data/db');
    expect(Object.keys(compose.volumes)).toContain('mongo-data');
    expect(services.mongo.healthcheck.test.join(' ')).toContain('ping');
  });

  describe.each(SUBGRAPHS.map((entry) => [entry.name, entry] as const))('subgraph %s', (name, entry) => {
    const service = services[name];

    it('has a service running its entry point', () => {
      expect(service, `docker-compose.yml has no service "${name}"`).toBeDefined();
      expect(service.command).toEqual([`${entry.dir}/main.ts`]);
    });

    it('is configured for real MongoDB, its registry port and the shared secrets', () => {
      expect(service.environment.PORT).toBe(String(entry.port));
      expect(service.environment.MONGODB_URI).toMatch(/^mongodb:\/\/mongo:27017/);
      expect(service.environment.IDENTITY_SECRET).toContain('IDENTITY_SECRET');
      expect(service.environment.RESIDENT_ID_SECRET).toContain('RESIDENT_ID_SECRET');
      expect(service.environment.HOST).toBe('0.0.0.0');
    });

    it('has a healthcheck on its own port and waits for a healthy MongoDB', () => {
      expect(service.healthcheck.test.join(' ')).toContain(`127.0.0.1:${entry.port}/health`);
      expect(service.depends_on.mongo.condition).toBe('service_healthy');
    });

    it('is routed by the gateway, which waits for it to be healthy', () => {
      expect(services.gateway.environment[`SUBGRAPH_URL_${name.toUpperCase()}`]).toBe(`http://${name}:${entry.port}/graphql`);
      expect(services.gateway.depends_on[name].condition).toBe('service_healthy');
    });
  });

  it('has a gateway on port 4000 whose healthcheck is readiness', () => {
    expect(services.gateway.ports).toContain('4000:4000');
    expect(services.gateway.healthcheck.test.join(' ')).toContain('/ready');
  });

  it('never waits by sleeping: no command, entry point or healthcheck sleeps', () => {
    for (const [name, service] of Object.entries(services)) {
      const words = JSON.stringify([service.command, service.entrypoint, service.healthcheck]);
      expect(words, `service ${name}`).not.toMatch(/\bsleep\b/);
    }
  });
});
