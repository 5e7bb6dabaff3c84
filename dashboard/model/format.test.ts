import { describe, expect, it } from 'vitest';
import { formatChange, formatFigure, formatNumber } from './format';

describe('formatNumber', () => {
  it('groups thousands with commas and drops trailing zeros of the decimals', () => {
    expect(formatNumber(146372867968)).toBe('146,372,867,968');
    expect(formatNumber(2313)).toBe('2,313');
    expect(formatNumber(196.368, 3)).toBe('196.368');
    expect(formatNumber(94.0, 1)).toBe('94');
    expect(formatNumber(999)).toBe('999');
  });

  it('keeps the sign of a negative number, but writes a negative that rounds to zero as 0', () => {
    expect(formatNumber(-1234.5, 1)).toBe('-1,234.5');
    expect(formatNumber(-0.001, 1)).toBe('0');
  });
});

describe('formatFigure', () => {
  it('writes each unit as a reader expects it', () => {
    expect(formatFigure(23924, 'count')).toBe('23,924');
    expect(formatFigure(0.8267, 'share')).toBe('82.7%');
    expect(formatFigure(0.8267, 'share', 'exact')).toBe('82.67%');
    expect(formatFigure(2, 'percent')).toBe('2%');
    expect(formatFigure(23.58, 'hours')).toBe('23.58 h');
    expect(formatFigure(196.368, 'tonnes')).toBe('196.4 t');
    expect(formatFigure(196.368, 'tonnes', 'exact')).toBe('196.368 t');
  });

  it('shortens large rupiah amounts on screens and writes every rupiah in the report', () => {
    expect(formatFigure(146372867968, 'rupiah')).toBe('Rp146.4 billion');
    expect(formatFigure(2430500000, 'rupiah')).toBe('Rp2.43 billion');
    expect(formatFigure(450507497, 'rupiah')).toBe('Rp450.5 million');
    expect(formatFigure(1.2e12, 'rupiah')).toBe('Rp1.2 trillion');
    expect(formatFigure(950000, 'rupiah')).toBe('Rp950,000');
    expect(formatFigure(146372867968, 'rupiah', 'exact')).toBe('Rp146,372,867,968');
  });
});

describe('formatChange', () => {
  it('gives counts and amounts as a difference and a percentage of the year before', () => {
    expect(formatChange(23924, 21903, 'count')).toEqual({ direction: 'up', text: '+2,021 (+9.2%)' });
    expect(formatChange(63, 71, 'count')).toEqual({ direction: 'down', text: '-8 (-11.3%)' });
  });

  it('gives shares and rates in percentage points', () => {
    expect(formatChange(0.8267, 0.7693, 'share')).toEqual({ direction: 'up', text: '+5.7 pp' });
    expect(formatChange(0.8267, 0.7693, 'share', 'exact')).toEqual({ direction: 'up', text: '+5.74 pp' });
    expect(formatChange(2, 2.5, 'percent')).toEqual({ direction: 'down', text: '-0.5 pp' });
  });

  it('says "no change" for equal figures and leaves the percentage out when the year before was zero', () => {
    expect(formatChange(147.8e9, 147.8e9, 'rupiah')).toEqual({ direction: 'same', text: 'no change' });
    expect(formatChange(20085, 0, 'count')).toEqual({ direction: 'up', text: '+20,085' });
  });
});
