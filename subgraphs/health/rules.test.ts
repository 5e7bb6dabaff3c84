import { GraphQLError } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireIdempotencyKey, requirePastInstant } from '../kit/validate';
import {
  canRecordVisit,
  firstResponseHours,
  median,
  requireActions,
  requireBirthDate,
  requireConditions,
  requireNeighbourhood,
  requireTeam,
  requireVitals,
  responseHours,
  SERVICE_START,
} from './rules';
import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';

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
    expect(badField(() => responseHours(received, new Date('2023-05-10T07:59:00Z')))).toBe('visitedAt');
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
    expect(badField(() => requireVitals({ ...vitals, systolic: 300 }))).toBe('vitals.systolic');
    expect(badField(() => requireVitals({ ...vitals, systolic: 120.5 }))).toBe('vitals.systolic');
    expect(badField(() => requireVitals({ ...vitals, diastolic: 20 }))).toBe('vitals.diastolic');
    expect(badField(() => requireVitals({ ...vitals, diastolic: 150 }))).toBe('vitals.diastolic');
    expect(badField(() => requireVitals({ ...vitals, pulse: 10 }))).toBe('vitals.pulse');
    expect(badField(() => requireVitals({ ...vitals, temperature: 45 }))).toBe('vitals.temperature');
    expect(badField(() => requireVitals({ ...vitals, bloodGlucose: 5 }))).toBe('vitals.bloodGlucose');
  });

  it('needs a team with a clinician and no repeated role', () => {
    expect(requireTeam(['nurse', 'physiotherapist'])).toEqual(['nurse', 'physiotherapist']);
    expect(badField(() => requireTeam([]))).toBe('team');
    expect(badField(() => requireTeam(['physiotherapist']))).toBe('team');
    expect(badField(() => requireTeam(['nurse', 'nurse']))).toBe('team');
    expect(badField(() => requireTeam(['nurse', 'surgeon']))).toBe('team');
  });

  it('trims actions and names the one at fault', () => {
    expect(requireActions([' wound care '])).toEqual(['wound care']);
    expect(badField(() => requireActions([]))).toBe('actions');
    expect(badField(() => requireActions(['wound care', ' ']))).toBe('actions[1]');
  });

  it('reads ISO date-times with a zone and refuses the future (the kit rule every visit and request time uses)', () => {
    const now = new Date('2024-01-01T00:00:00Z');
    expect(requirePastInstant('2023-12-31T09:00:00+07:00', 'visitedAt', now).toISOString()).toBe('2023-12-31T02:00:00.000Z');
    expect(badField(() => requirePastInstant('2023-12-31 09:00', 'visitedAt', now))).toBe('visitedAt');
    expect(badField(() => requirePastInstant('2024-01-02T00:00:00Z', 'visitedAt', now))).toBe('visitedAt');
  });

  it('reads real birth dates only', () => {
    expect(requireBirthDate('1948-02-29', 'patient.birthDate').toISOString()).toBe('1948-02-29T00:00:00.000Z');
    expect(badField(() => requireBirthDate('1950-02-30', 'patient.birthDate'))).toBe('patient.birthDate');
    expect(badField(() => requireBirthDate('1850-01-01', 'patient.birthDate'))).toBe('patient.birthDate');
  });

  it('needs an idempotency key long enough to be unique (the kit rule every mutation uses)', () => {
    expect(requireIdempotencyKey('visit-2023-0001')).toBe('visit-2023-0001');
    expect(badField(() => requireIdempotencyKey('short'))).toBe('idempotencyKey');
    expect(badField(() => requireIdempotencyKey('has spaces in it'))).toBe('idempotencyKey');
  });
});

describe('patient input', () => {
  it('takes the conditions once each and refuses an empty or unknown list', () => {
    expect(requireConditions(['stroke', 'chronic', 'stroke'], 'patient.conditions')).toEqual(['stroke', 'chronic']);
    expect(badField(() => requireConditions([], 'patient.conditions'))).toBe('patient.conditions');
    expect(badField(() => requireConditions(['flu'], 'patient.conditions'))).toBe('patient.conditions');
  });

  it('places a patient in an RT of the kelurahan with the RW that RT belongs to', () => {
    const unit = NEIGHBOURHOODS[40];
    expect(requireNeighbourhood(unit.kelurahanCode, unit.rw, unit.rt, 'patient')).toMatchObject({ rw: unit.rw, rt: unit.rt });
    expect(badField(() => requireNeighbourhood(unit.kelurahanCode, unit.rw, 999, 'patient'))).toBe('patient.rt');
    expect(badField(() => requireNeighbourhood(unit.kelurahanCode, unit.rw + 1, unit.rt, 'patient'))).toBe('patient.rw');
    expect(badField(() => requireNeighbourhood(unit.kelurahanCode, unit.rw, 1.5, 'patient'))).toBe('patient.rt');
  });

  it('dates the start of Homecare at 1 May 2016, 00:00 in Kediri', () => {
    expect(SERVICE_START.toISOString()).toBe('2016-04-30T17:00:00.000Z');
  });
});

describe("birth dates on Kediri's clock (WIB, UTC+7)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("at 00:30 WIB on 2 March accepts a birth that day and refuses the next day's", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // 17:30 UTC on 1 March is 00:30 WIB on 2 March: in UTC it is still the 1st.
    vi.setSystemTime(new Date('2025-03-01T17:30:00Z'));
    expect(requireBirthDate('2025-03-02', 'patient.birthDate').toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(badField(() => requireBirthDate('2025-03-03', 'patient.birthDate'))).toBe('patient.birthDate');
  });

  it('at 23:30 WIB on 1 March still refuses 2 March', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-03-01T16:30:00Z'));
    expect(requireBirthDate('2025-03-01', 'patient.birthDate').toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(badField(() => requireBirthDate('2025-03-02', 'patient.birthDate'))).toBe('patient.birthDate');
  });
});
