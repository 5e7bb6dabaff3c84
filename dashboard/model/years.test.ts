import { describe, expect, it } from 'vitest';
import type { Cell } from './answers';
import type { Figures } from './scorecards';
import { candidateYears, everyPillarActive, FIRST_SCORECARD_YEAR, kediriYear } from './years';

const value = (number: number): Cell => ({ state: 'value', value: number });

function city(activity: Partial<Record<keyof Figures, Cell>>): Figures {
  const base: Figures = {
    governance: { taxReportsFiled: value(10) },
    living: { homecareVisits: value(10) },
    environment: { deposits: value(10) },
    society: { classes: value(10) },
    economy: { applicationsSubmitted: value(10) },
    branding: { rtBudgets: value(10) },
  };
  for (const [pillar, cell] of Object.entries(activity)) base[pillar as keyof Figures] = { ...base[pillar as keyof Figures], [Object.keys(base[pillar as keyof Figures])[0]]: cell };
  return base;
}

describe('the years the dashboard offers', () => {
  it('are those in which every program recorded something', () => {
    expect(everyPillarActive(city({}))).toBe(true);
    expect(everyPillarActive(city({ economy: value(0) }))).toBe(false);
  });

  it("do not depend on an agency that is down, as long as one answered", () => {
    const down: Cell = { state: 'unavailable', agency: 'x', code: 'SUBGRAPH_UNAVAILABLE', message: 'down' };
    expect(everyPillarActive(city({ living: down }))).toBe(true);
    expect(everyPillarActive(city({ governance: down, living: down, environment: down, society: down, economy: down, branding: down }))).toBe(false);
  });

  it("run from this year on Kediri's clock (UTC+7) back to the scorecard's first year", () => {
    expect(kediriYear(new Date('2023-12-31T17:30:00Z'))).toBe(2024);
    expect(kediriYear(new Date('2023-12-31T16:59:59Z'))).toBe(2023);
    const years = candidateYears(new Date('2024-06-01T00:00:00Z'));
    expect(years[0]).toBe(2024);
    expect(years[years.length - 1]).toBe(FIRST_SCORECARD_YEAR);
    expect(years).toHaveLength(2024 - FIRST_SCORECARD_YEAR + 1);
  });
});
