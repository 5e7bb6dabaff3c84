import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectPath } from '../../platform/paths';
import { FIGURES } from './figures';
import { operationsByName, type PersistedManifest } from './gatewayClient';
import { pillarFieldsOf } from './operationFields';
import { PILLAR_ORDER, PILLARS } from './pillars';

const manifest = JSON.parse(readFileSync(projectPath('schema', 'persisted-operations.json'), 'utf8')) as PersistedManifest;
const operations = operationsByName(manifest, ['DashboardYear', 'CityScorecard', 'CityDashboard']);

/** Every scorecard the page and the report read, as [operation, path to the scorecard]. */
const SCORECARDS: [keyof typeof operations, string[]][] = [
  ['DashboardYear', ['city']],
  ['DashboardYear', ['previousCity']],
  ['DashboardYear', ['kelurahanList', 'scorecard']],
  ['CityScorecard', ['cityScorecard']],
  ['CityDashboard', ['kelurahanList', 'scorecard']],
];

describe('the figures the page and the report show', () => {
  it.each(SCORECARDS)('are read from %s at %j, and the catalogue labels every one of them and nothing else', (name, path) => {
    const fields = pillarFieldsOf(operations[name].body, path);
    for (const pillar of PILLAR_ORDER) expect(Object.keys(FIGURES[pillar]).sort(), pillar).toEqual([...fields[pillar]].sort());
  });

  it('follow the order of the operation, fragments expanded', () => {
    expect(pillarFieldsOf(operations.CityScorecard.body, ['cityScorecard']).environment).toEqual([
      'wasteBanks',
      'activeWasteBanks',
      'members',
      'tonnesRecovered',
      'inactiveWasteBanks',
      'deposits',
      'depositValue',
    ]);
  });

  it('give every pillar headline figures and name its agency from the registry', () => {
    for (const pillar of PILLARS) {
      expect(Object.values(FIGURES[pillar.name]).some((info) => info.headline), pillar.name).toBe(true);
      expect(pillar.agency).not.toBe('');
    }
    expect(PILLARS.find((pillar) => pillar.name === 'governance')?.agency).toBe('BPPKAD (e-SPTPD)');
  });
});

describe('pillarFieldsOf', () => {
  it('says which part of the path the operation lacks', () => {
    expect(() => pillarFieldsOf(operations.CityScorecard.body, ['city'])).toThrow('Expected the operation to select city with sub-fields; it has no "city" there.');
  });

  it('refuses a scorecard that leaves a pillar out', () => {
    const body = 'query Q { cityScorecard(year: 2023) { year governance { taxRevenue } } }';
    expect(() => pillarFieldsOf(body, ['cityScorecard'])).toThrow(/asks none of living, environment, society, economy, branding/);
  });
});
