import { describe, expect, it } from 'vitest';
import { GRAPHQL_MEDIA_TYPES, namesMediaType, preferredMediaType } from './http';

describe('preferredMediaType', () => {
  const PAGE = [...GRAPHQL_MEDIA_TYPES, 'text/html'] as const;

  it('gives the first type offered to a caller that names none or accepts anything', () => {
    expect(preferredMediaType(undefined, GRAPHQL_MEDIA_TYPES)).toBe('application/json');
    expect(preferredMediaType('', GRAPHQL_MEDIA_TYPES)).toBe('application/json');
    expect(preferredMediaType('*/*', GRAPHQL_MEDIA_TYPES)).toBe('application/json');
    expect(preferredMediaType('application/*', GRAPHQL_MEDIA_TYPES)).toBe('application/json');
  });

  it('follows q-values, then the order of the header', () => {
    expect(preferredMediaType('application/graphql-response+json', GRAPHQL_MEDIA_TYPES)).toBe('application/graphql-response+json');
    expect(preferredMediaType('application/json;q=0.5, application/graphql-response+json', GRAPHQL_MEDIA_TYPES)).toBe('application/graphql-response+json');
    expect(preferredMediaType('application/graphql-response+json, application/json', GRAPHQL_MEDIA_TYPES)).toBe('application/graphql-response+json');
  });

  it('reads a charset parameter: UTF-8 is what every answer is in', () => {
    expect(preferredMediaType('application/json; charset=utf-8', GRAPHQL_MEDIA_TYPES)).toBe('application/json');
    expect(preferredMediaType('application/graphql-response+json; charset=utf-8, application/json; charset=utf-8', GRAPHQL_MEDIA_TYPES)).toBe('application/graphql-response+json');
    expect(preferredMediaType('application/json; charset=iso-8859-1', GRAPHQL_MEDIA_TYPES)).toBeUndefined();
  });

  it("picks the page for a browser's Accept, and JSON for curl's", () => {
    expect(preferredMediaType('text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', PAGE)).toBe('text/html');
    expect(preferredMediaType('*/*', PAGE)).toBe('application/json');
  });

  it('gives nothing when no type offered is acceptable, q=0 included', () => {
    expect(preferredMediaType('text/csv', GRAPHQL_MEDIA_TYPES)).toBeUndefined();
    expect(preferredMediaType('application/json;q=0, application/graphql-response+json;q=0', GRAPHQL_MEDIA_TYPES)).toBeUndefined();
  });
});

describe('namesMediaType', () => {
  it('is true only for a type the header names itself, not one a wildcard covers', () => {
    expect(namesMediaType('application/json', 'application/json')).toBe(true);
    expect(namesMediaType('text/html, Application/JSON;q=0.9', 'application/json')).toBe(true);
    expect(namesMediaType('application/json; charset=utf-8', 'application/json')).toBe(true);
    expect(namesMediaType('*/*', 'application/json')).toBe(false);
    expect(namesMediaType('application/*', 'application/json')).toBe(false);
    expect(namesMediaType('application/json;q=0', 'application/json')).toBe(false);
    expect(namesMediaType(undefined, 'application/json')).toBe(false);
  });
});
