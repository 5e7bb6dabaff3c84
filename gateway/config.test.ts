import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/config';
import { parseApiKeys, parseOrigins, readGatewayConfig } from './config';
import { depthOf } from './limits';

const SECRET = 'gateway-test-secret-0123456789abcdef';

describe('gateway settings', () => {
  it('reads API keys as <key>=<role>, labelled by position, never by the key', () => {
    const keys = parseApiKeys('key-for-dashboards-1=dashboard, key-for-tax-officers=agency:tax');
    expect(keys.get('key-for-dashboards-1')).toEqual({ role: 'dashboard', label: 'api-key-1:dashboard' });
    expect(keys.get('key-for-tax-officers')).toEqual({ role: 'agency:tax', label: 'api-key-2:agency:tax' });
  });

  it('refuses an unknown role or a short key, without echoing the key', () => {
    expect(() => parseApiKeys('key-for-dashboards-1=mayor')).toThrow(ConfigError);
    expect(() => parseApiKeys('key-for-dashboards-1=mayor')).not.toThrow(/key-for-dashboards-1/);
    expect(() => parseApiKeys('short=dashboard')).toThrow(/shorter than 16/);
  });

  it('fails fast naming a missing or weak secret', () => {
    expect(() => readGatewayConfig({})).toThrow(/IDENTITY_SECRET is not set/);
    expect(() => readGatewayConfig({ IDENTITY_SECRET: 'short' })).toThrow(/IDENTITY_SECRET is too short/);
    expect(() => readGatewayConfig({ IDENTITY_SECRET: `dev-${SECRET}`, NODE_ENV: 'production' })).toThrow(/development secret/);
    expect(() => readGatewayConfig({ IDENTITY_SECRET: SECRET, PORT: 'eighty' })).toThrow(/PORT must be a port number/);
  });

  it('reads browser origins and refuses anything that is not one', () => {
    expect(parseOrigins('https://dashboard.kedirikota.go.id, http://localhost:5173')).toEqual([
      'https://dashboard.kedirikota.go.id',
      'http://localhost:5173',
    ]);
    expect(parseOrigins(undefined)).toEqual([]);
    expect(() => parseOrigins('dashboard.kedirikota.go.id')).toThrow(/CORS_ORIGINS/);
    expect(() => parseOrigins('https://dashboard.kedirikota.go.id/path')).toThrow(/CORS_ORIGINS/);
  });

  it('takes subgraph URL overrides by name', () => {
    const config = readGatewayConfig({ IDENTITY_SECRET: SECRET, SUBGRAPH_URL_TAX: 'http://tax:4001/graphql' });
    expect(config.subgraphUrls).toEqual({ tax: 'http://tax:4001/graphql' });
    expect(config.port).toBe(4000);
  });
});

describe('operation depth', () => {
  const depth = (query: string) => {
    const document = parse(query);
    const fragments = Object.fromEntries(
      document.definitions.flatMap((d) => (d.kind === 'FragmentDefinition' ? [[d.name.value, d]] : [])),
    );
    const operation = document.definitions.find((d) => d.kind === 'OperationDefinition');
    return depthOf(operation && 'selectionSet' in operation ? operation.selectionSet : undefined, fragments);
  };

  it('counts nesting through fields, inline fragments and named fragments', () => {
    expect(depth('{ kelurahanList { code } }')).toBe(2);
    expect(depth('{ a { b { ... on B { c { d } } } } }')).toBe(4);
    expect(depth('{ a { ...F } } fragment F on A { b { c } }')).toBe(3);
  });

  it('stops at a fragment that spreads itself instead of looping', () => {
    expect(depth('{ a { ...F } } fragment F on A { b ...F }')).toBe(2);
  });
});
