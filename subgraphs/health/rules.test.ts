import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  canRecordVisit,
  firstResponseHours,
  median,
  requireActions,
  requireBirthDate,
  requireIdempotencyKey,
  requirePastInstant,
  requireTeam,
  requireVitals,
  responseHours,
} from './rules';

/** Runs `action` and returns the field its BAD_USER_INPUT error names. */
function badField(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as GraphQLError).extensions.field as string;
  }
  throw new Error('expected a BAD_USER_INPUT error, but the call succeeded');
}

const received = new Date('2023-05-10T08:00:00Z');

describe('homecare response time: hours from request received to visit', () => {
  it('counts whole and fractional hours, to two decimals', () => {
    expect(responseHours(received, new Date('2023-05-11T08:00:00Z'))).toBe(24);
    expect(responseHours(received, new Date('2023-05-10T10:30:00Z'))).toBe(2.5);
    expect(responseHours(received, new Date('2023-05-10T08:20:00Z'))).toBe(0.33);
  });

  it('is zero for a visit at the moment of receipt', () => {
    expect(responseHours(received, received)).toBe(0);
  });

  it('refuses a visit before the request was received, naming the visit time', () => {
    expect(badField(() => responseHours(received, new Date('2023-05-10T07:59:00Z')))).toBe('input.visitedAt');
  });

  it('takes the FIRST visit of a request, whatever order the visits come in', () => {
    const visits = [new Date('2023-05-14T09:00:00Z'), new Date('2023-05-11T02:00:00Z'), new Date('2023-05-20T09:00:00Z')];
    expect(firstResponseHours(received, visits)).toBe(18);
  });

  it('has no response time while a request has no visit', () => {
    expect(firstResponseHours(received, [])).toBeNull();
  });
});

describe('median response hours of the Smart Living pillar', () => {
  it('is the middle value of an odd count, whatever the input order', () => {
    expect(median([30, 2, 18])).toBe(18);
    expect(median([5])).toBe(5);
    expect(median([48, 1.5, 20, 26, 3])).toBe(20);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([10, 30])).toBe(20);
    expect(median([1, 24, 25, 100])).toBe(24.5);
    expect(median([0.33, 0.34])).toBe(0.34); // 0.335 rounds half up to two decimals
  });

  it('is null when there is nothing to summarise', () => {
    expect(median([])).toBeNull();
  });

  it('does not reorder the caller’s list', () => {
    const hours = [3, 1, 2];
    median(hours);
    expect(hours).toEqual([3, 1, 2]);
  });
});

describe('request status', () => {
  it('lets a team visit open, scheduled and already visited requests only', () => {
    expect(canRecordVisit('open')).toBe(true);
    expect(canRecordVisit('scheduled')).toBe(true);
    expect(canRecordVisit('visited')).toBe(true);
    expect(canRecordVisit('closed')).toBe(false);
    expect(canRecordVisit('referred')).toBe(false);
  });
});

describe('visit input', () => {
  const vitals = { systolic: 150, diastolic: 90, pulse: 80, temperature: 36.8 };

  it('accepts vitals within physiological limits and defaults glucose to not measured', () => {
    expect(requireVitals(vitals)).toEqual({ ...vitals, bloodGlucose: null });
    expect(requireVitals({ ...vitals, bloodGlucose: 180 }).bloodGlucose).toBe(180);
  });

  it('names the vital sign that is out of range', () => {
    expect(badField(() => requireVitals({ ...vitals, systolic: 300 }))).toBe('input.vitals.systolic');
    expect(badField(() => requireVitals({ ...vitals, systolic: 120.5 }))).toBe('input.vitals.systolic');
    expect(badField(() => requireVitals({ ...vitals, diastolic: 20 }))).toBe('input.vitals.diastolic');
    expect(badField(() => requireVitals({ ...vitals, diastolic: 150 }))).toBe('input.vitals.diastolic');
    expect(badField(() => requireVitals({ ...vitals, pulse: 10 }))).toBe('input.vitals.pulse');
    expect(badField(() => requireVitals({ ...vitals, temperature: 45 }))).toBe('input.vitals.temperature');
    expect(badField(() => requireVitals({ ...vitals, bloodGlucose: 5 }))).toBe('input.vitals.bloodGlucose');
  });

  it('needs a team with a clinician and no repeated role', () => {
    expect(requireTeam(['nurse', 'physiotherapist'])).toEqual(['nurse', 'physiotherapist']);
    expect(badField(() => requireTeam([]))).toBe('input.team');
    expect(badField(() => requireTeam(['physiotherapist']))).toBe('input.team');
    expect(badField(() => requireTeam(['nurse', 'nurse']))).toBe('input.team');
    expect(badField(() => requireTeam(['nurse', 'surgeon']))).toBe('input.team');
  });

  it('trims actions and names the one at fault', () => {
    expect(requireActions([' wound care '])).toEqual(['wound care']);
    expect(badField(() => requireActions([]))).toBe('input.actions');
    expect(badField(() => requireActions(['wound care', ' ']))).toBe('input.actions[1]');
  });

  it('reads ISO date-times with a zone and refuses the future', () => {
    const now = new Date('2024-01-01T00:00:00Z');
    expect(requirePastInstant('2023-12-31T09:00:00+07:00', 'input.visitedAt', now).toISOString()).toBe('2023-12-31T02:00:00.000Z');
    expect(badField(() => requirePastInstant('2023-12-31 09:00', 'input.visitedAt', now))).toBe('input.visitedAt');
    expect(badField(() => requirePastInstant('2024-01-02T00:00:00Z', 'input.visitedAt', now))).toBe('input.visitedAt');
  });

  it('reads real birth dates only', () => {
    expect(requireBirthDate('1948-02-29', 'input.patient.birthDate').toISOString()).toBe('1948-02-29T00:00:00.000Z');
    expect(badField(() => requireBirthDate('1950-02-30', 'input.patient.birthDate'))).toBe('input.patient.birthDate');
    expect(badField(() => requireBirthDate('1850-01-01', 'input.patient.birthDate'))).toBe('input.patient.birthDate');
  });

  it('needs an idempotency key long enough to be unique', () => {
    expect(requireIdempotencyKey('visit-2023-0001')).toBe('visit-2023-0001');
    expect(badField(() => requireIdempotencyKey('short'))).toBe('input.idempotencyKey');
    expect(badField(() => requireIdempotencyKey('has spaces in it'))).toBe('input.idempotencyKey');
  });
});
