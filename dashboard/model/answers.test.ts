import { describe, expect, it } from 'vitest';
import { AnswerReader, cellReason, cellWord, type GraphQLAnswer } from './answers';

const suppressed = (path: (string | number)[]) => ({
  message: 'The loansDisbursed of kelurahan 35.71.01.1001 in 2023 is withheld: counts of people below 5 in one kelurahan are suppressed for public callers.',
  path,
  extensions: { code: 'SUPPRESSED_SMALL_COUNT', threshold: 5, serviceName: 'economy' },
});

function listWith(count: number, economy: (index: number) => unknown) {
  return { kelurahanList: Array.from({ length: count }, (_, index) => ({ scorecard: { economy: economy(index), living: { homecareVisits: index } } })) };
}

describe('AnswerReader.figure', () => {
  it('reads a number as a value, zero included', () => {
    const reader = new AnswerReader({ data: listWith(2, () => ({ loansDisbursed: 0 })) });
    expect(reader.figure(['kelurahanList', 1, 'scorecard', 'economy'], 'loansDisbursed')).toEqual({ state: 'value', value: 0 });
  });

  it('reads a null with a SUPPRESSED_SMALL_COUNT error at its path as withheld, keeping the reason', () => {
    const answer: GraphQLAnswer = { data: listWith(1, () => ({ loansDisbursed: null })), errors: [suppressed(['kelurahanList', 0, 'scorecard', 'economy', 'loansDisbursed'])] };
    const cell = new AnswerReader(answer).figure(['kelurahanList', 0, 'scorecard', 'economy'], 'loansDisbursed');
    expect(cell.state).toBe('withheld');
    expect(cellWord(cell)).toBe('withheld');
    expect(cellReason(cell)).toMatch(/^Withheld, not zero: The loansDisbursed .* \(SUPPRESSED_SMALL_COUNT; a dashboard key shows it\)$/);
  });

  it('reads a null without an error as no figure, never as zero', () => {
    const reader = new AnswerReader({ data: listWith(1, () => ({ interestRatePercent: null })) });
    expect(reader.figure(['kelurahanList', 0, 'scorecard', 'economy'], 'interestRatePercent')).toEqual({ state: 'none' });
  });

  it("reads every figure of a pillar whose agency did not answer as unavailable, naming the agency's program", () => {
    const answer: GraphQLAnswer = {
      data: listWith(2, () => null),
      errors: [{ message: 'Subgraph economy did not answer', path: ['kelurahanList', 1, 'scorecard', 'economy'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'economy' } }],
    };
    const reader = new AnswerReader(answer);
    const cell = reader.figure(['kelurahanList', 1, 'scorecard', 'economy'], 'loansDisbursed');
    expect(cell).toMatchObject({ state: 'unavailable', agency: 'Dinas Koperasi dan UMTK (Kurnia)', code: 'SUBGRAPH_UNAVAILABLE' });
    expect(cellReason(cell)).toBe("Dinas Koperasi dan UMTK (Kurnia)'s data is unavailable: its subgraph did not answer (SUBGRAPH_UNAVAILABLE).");
    // The error names kelurahan 1 only; kelurahan 0's null pillar has no explanation of its own.
    expect(reader.figure(['kelurahanList', 0, 'scorecard', 'economy'], 'loansDisbursed')).toEqual({ state: 'none' });
  });

  it('matches an error path by whole keys, so an error about kelurahan 3 never explains kelurahan 30', () => {
    const answer: GraphQLAnswer = {
      data: listWith(31, () => null),
      errors: [{ message: 'timed out', path: ['kelurahanList', 3], extensions: { code: 'SUBGRAPH_TIMEOUT', serviceName: 'economy' } }],
    };
    const reader = new AnswerReader(answer);
    expect(reader.figure(['kelurahanList', 3, 'scorecard', 'economy'], 'loansDisbursed').state).toBe('unavailable');
    expect(reader.figure(['kelurahanList', 30, 'scorecard', 'economy'], 'loansDisbursed').state).toBe('none');
  });

  it("explains a null pillar by a path-less error from the pillar's agency", () => {
    const answer: GraphQLAnswer = {
      data: { cityScorecard: { living: null, economy: { loansDisbursed: 3 } } },
      errors: [{ message: 'health is down', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'health' } }],
    };
    const reader = new AnswerReader(answer);
    expect(reader.figure(['cityScorecard', 'living'], 'homecareVisits')).toMatchObject({ state: 'unavailable', agency: 'Dinas Kesehatan (Homecare)' });
    expect(reader.figure(['cityScorecard', 'economy'], 'loansDisbursed')).toEqual({ state: 'value', value: 3 });
  });
});
