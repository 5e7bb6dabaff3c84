import { describe, expect, it } from 'vitest';
import type { Cell } from './answers';
import { comparePublished, figuresToGather, type GraphSource } from './compare';
import { PUBLISHED_FIGURES, type PublishedFigure } from './published';
import type { Figures, KelurahanFigures } from './scorecards';

const value = (number: number): Cell => ({ state: 'value', value: number });

function figures(environment: Record<string, Cell>, economy: Record<string, Cell> = {}): Figures {
  return { governance: {}, living: {}, environment, society: {}, economy, branding: {} };
}

function kelurahan(code: string, kecamatan: string, wasteBanks: Cell): KelurahanFigures {
  return { code, name: code, kecamatan: { code: kecamatan, name: kecamatan }, figures: figures({ wasteBanks }) };
}

const published = (id: string): PublishedFigure => PUBLISHED_FIGURES.find((figure) => figure.id === id)!;

function source(overrides: Partial<GraphSource> = {}): GraphSource {
  return { city: () => undefined, kelurahan: () => undefined, largestRtCeiling: () => undefined, ...overrides };
}

describe('comparePublished', () => {
  it("marks an exact published figure as matching the graph's figure of the publication's year", () => {
    const graph = source({ city: (year) => (year === 2023 ? figures({ wasteBanks: value(134) }) : undefined) });
    expect(comparePublished(published('waste-banks-2023'), 2024, graph)).toEqual({ status: 'matches', year: 2023, graph: 134, text: 'matches' });
  });

  it('says what the graph says when it differs', () => {
    const graph = source({ city: () => figures({ activeWasteBanks: value(60) }) });
    expect(comparePublished(published('active-waste-banks-2023'), 2023, graph)).toMatchObject({ status: 'differs', graph: 60, text: 'differs: graph says 60' });
  });

  it('allows the stated tolerance for an approximate publication, and says so', () => {
    const near = source({ city: () => figures({ tonnesRecovered: value(196.368) }) });
    expect(comparePublished(published('tonnes-recovered-2023'), 2023, near).text).toBe('matches: graph says 196.368 t (within ±5%)');
    const far = source({ city: () => figures({ tonnesRecovered: value(150) }) });
    expect(comparePublished(published('tonnes-recovered-2023'), 2023, far).text).toBe('differs: graph says 150 t (expected within ±5%)');
  });

  it('compares a rule of the program in the report year, and a ceiling as a ceiling', () => {
    const rate = comparePublished(published('kurnia-rate'), 2024, source({ city: (year) => (year === 2024 ? figures({}, { interestRatePercent: value(2) }) : undefined) }));
    expect(rate).toMatchObject({ status: 'matches', year: 2024 });
    const ceiling = comparePublished(published('prodamas-ceiling'), 2023, source({ largestRtCeiling: () => 100_000_000 }));
    expect(ceiling.text).toBe('matches: the largest RT budget is Rp100,000,000 (at most Rp100,000,000)');
    expect(comparePublished(published('prodamas-ceiling'), 2023, source({ largestRtCeiling: () => 120_000_000 })).status).toBe('differs');
  });

  it('accepts a figure inside a published range', () => {
    expect(comparePublished(published('emas-tutors'), 2023, source({ city: () => ({ ...figures({}), society: { tutors: value(42) } }) })).status).toBe('matches');
    expect(comparePublished(published('emas-tutors'), 2023, source({ city: () => ({ ...figures({}), society: { tutors: value(43) } }) })).status).toBe('differs');
  });

  it('counts kelurahan from their own figures, and refuses to count when one is withheld', () => {
    const rows = [kelurahan('a', 'k1', value(0)), kelurahan('b', 'k1', value(3)), kelurahan('c', 'k2', value(0))];
    expect(comparePublished(published('kelurahan-without-waste-bank-2023'), 2023, source({ kelurahan: () => rows }))).toMatchObject({ status: 'differs', graph: 2 });
    const withheld = [...rows, kelurahan('d', 'k2', { state: 'withheld', message: 'few' })];
    const verdict = comparePublished(published('kelurahan-without-waste-bank-2023'), 2023, source({ kelurahan: () => withheld }));
    expect(verdict.status).toBe('no figure');
    expect(verdict.text).toMatch(/^no graph figure for 2023: 1 kelurahan have no wasteBanks figure \(d: Withheld, not zero: few/);
  });

  it('says plainly when a publication is not a graph figure', () => {
    const verdict = comparePublished(published('smart-city-index'), 2023, source());
    expect(verdict.status).toBe('not in graph');
    expect(verdict.text).toMatch(/^not a graph figure: the national evaluators score the index/);
  });
});

describe('figuresToGather', () => {
  it('asks for the years each published figure is compared in, and nothing for figures the graph lacks', () => {
    expect(figuresToGather(PUBLISHED_FIGURES, 2024)).toEqual({ city: [2021, 2022, 2023, 2024], kelurahan: [2023, 2024], ceilings: [2024] });
  });
});
