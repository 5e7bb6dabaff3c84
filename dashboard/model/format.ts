import type { Unit } from './figures';

/**
 * How figures are written, the same on the page, in the report and in the tests that compare the two with
 * the gateway's answers. Numbers are formatted by hand (English grouping: 1,234.5) rather than with Intl, so
 * that a browser and Node with different ICU data always write a figure identically.
 */
export type Style =
  /** For screens: large rupiah amounts in millions, billions or trillions; shares to one decimal. */
  | 'compact'
  /** For the report: every rupiah and every decimal the graph gives. */
  | 'exact';

/** `value` with at most `decimals` decimals (trailing zeros dropped) and its integer part grouped by thousands. */
export function formatNumber(value: number, decimals = 0): string {
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole, fraction = ''] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const trimmed = fraction.replace(/0+$/, '');
  const sign = value < 0 && Number(fixed) !== 0 ? '-' : '';
  return `${sign}${grouped}${trimmed ? `.${trimmed}` : ''}`;
}

const RUPIAH_SCALES: [number, string][] = [
  [1e12, 'trillion'],
  [1e9, 'billion'],
  [1e6, 'million'],
];

function rupiah(value: number, style: Style): string {
  const sign = value < 0 ? '-' : '';
  const size = Math.abs(value);
  if (style === 'compact') {
    for (const [scale, word] of RUPIAH_SCALES) {
      if (size >= scale) return `${sign}Rp${formatNumber(size / scale, size / scale >= 100 ? 1 : 2)} ${word}`;
    }
  }
  return `${sign}Rp${formatNumber(size, 0)}`;
}

export function formatFigure(value: number, unit: Unit, style: Style = 'compact'): string {
  switch (unit) {
    case 'count':
      return formatNumber(value, 0);
    case 'rupiah':
      return rupiah(value, style);
    case 'share':
      return `${formatNumber(value * 100, style === 'exact' ? 2 : 1)}%`;
    case 'percent':
      return `${formatNumber(value, 2)}%`;
    case 'hours':
      return `${formatNumber(value, 2)} h`;
    case 'tonnes':
      return `${formatNumber(value, style === 'exact' ? 3 : 1)} t`;
  }
}

export interface Change {
  direction: 'up' | 'down' | 'same';
  /** E.g. "+1,839 (+8.3%)", "+5.7 pp", "no change". */
  text: string;
}

/**
 * The change from `previous` to `current`. Shares and rates change in percentage points; everything else by
 * its own unit and, where the previous figure is not zero, in percent of it.
 */
export function formatChange(current: number, previous: number, unit: Unit, style: Style = 'compact'): Change {
  const difference = current - previous;
  const points = unit === 'share' ? difference * 100 : unit === 'percent' ? difference : undefined;
  const rounded = points !== undefined ? Number(points.toFixed(2)) : Number(difference.toFixed(3));
  if (rounded === 0) return { direction: 'same', text: 'no change' };
  const direction = rounded > 0 ? 'up' : 'down';
  const sign = rounded > 0 ? '+' : '-';
  if (points !== undefined) return { direction, text: `${sign}${formatNumber(Math.abs(points), style === 'exact' ? 2 : 1)} pp` };
  const amount = `${sign}${formatFigure(Math.abs(difference), unit, style)}`;
  if (previous === 0) return { direction, text: amount };
  return { direction, text: `${amount} (${sign}${formatNumber(Math.abs((difference / previous) * 100), 1)}%)` };
}
