import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/config';
import { isKnownRole, parseApiKeys, parseOrigins, readGatewayConfig } from './config';

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
    expect(() => parseApiKeys('key-for-nobody-0001=agency:nonexistent')).toThrow(/API_KEYS entry 1 is invalid/);
  });

  it("refuses in production the development keys of .env.example, naming the entry's role and never the key", () => {
    expect(() => parseApiKeys('dev-dashboard-key-01=dashboard', { production: true })).toThrow(/API_KEYS entry 1 \(dashboard\) is a development key/);
    expect(() => parseApiKeys('dev-dashboard-key-01=dashboard', { production: true })).not.toThrow(/dev-dashboard-key-01/);
    expect(() => readGatewayConfig({ NODE_ENV: 'production', IDENTITY_SECRET: SECRET, API_KEYS: 'key-for-dashboards-1=dashboard,dev-tax-key-0000001=agency:tax' })).toThrow(/API_KEYS entry 2/);
    expect(parseApiKeys('dev-dashboard-key-01=dashboard').get('dev-dashboard-key-01')?.role).toBe('dashboard');
  });

  it('knows the roles of this city only: the cross-agency roles and one per registered agency', () => {
    expect(isKnownRole('agency:tax')).toBe(true);
    expect(isKnownRole('caseworker')).toBe(true);
    expect(isKnownRole('agency:nonexistent')).toBe(false);
    expect(isKnownRole('mayor')).toBe(false);
    expect(() => readGatewayConfig({ IDENTITY_SECRET: SECRET, REQUIRE_PERSISTED_OPERATIONS: 'public,agency:nowhere' })).toThrow(/agency:nowhere/);
  });

  it('holds introspection back in production unless a role is named, and gives every role it in development', () => {
    expect(readGatewayConfig({ IDENTITY_SECRET: SECRET }).introspectionRoles).toBe('all');
    expect(readGatewayConfig({ IDENTITY_SECRET: SECRET, NODE_ENV: 'production', API_KEYS: '' }).introspectionRoles).toEqual(new Set());
    expect(readGatewayConfig({ IDENTITY_SECRET: SECRET, NODE_ENV: 'production', INTROSPECTION_ROLES: 'dashboard' }).introspectionRoles).toEqual(
      new Set(['dashboard']),
    );
    expect(readGatewayConfig({ IDENTITY_SECRET: SECRET, NODE_ENV: 'production' }).hideSchemaDetails).toBe(true);
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
