import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { maskUnexpectedError } from './subgraph';

describe('errors that leave a subgraph', () => {
  it('pass unchanged when a resolver meant them for the caller', () => {
    const lines: string[] = [];
    const formatted = { message: 'Invalid year: expected a year from 2016.', extensions: { code: 'BAD_USER_INPUT', field: 'year' } };
    expect(maskUnexpectedError(formatted, new GraphQLError(formatted.message), 'tax', (l) => lines.push(l))).toBe(formatted);
    expect(lines).toEqual([]);
  });

  it('hide the detail of an unexpected fault from the caller and log it', () => {
    const lines: string[] = [];
    const formatted = { message: 'connect ECONNREFUSED 10.1.2.3:27017', path: ['taxpayers'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    const masked = maskUnexpectedError(formatted, new Error('connect ECONNREFUSED 10.1.2.3:27017'), 'tax', (l) => lines.push(l));
    expect(masked).toEqual({ message: 'Internal error in the tax subgraph.', path: ['taxpayers'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(lines[0]).toContain('internal error at taxpayers');
    expect(lines[0]).toContain('ECONNREFUSED');
  });
});
