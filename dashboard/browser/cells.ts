import { cellReason, cellWord, type Cell } from '../model/answers';
import type { FigureInfo } from '../model/figures';
import { formatFigure } from '../model/format';
import type { Attributes } from './dom';

/**
 * How one figure shows on the page, wherever it appears: its text (the formatted number, or why there is
 * none: withheld, unavailable, no figure), a tooltip with the exact figure or the reason, and data
 * attributes that name the figure and hold the number as the graph gave it.
 */
export function cellText(cell: Cell, info: FigureInfo): string {
  return cell.state === 'value' ? formatFigure(cell.value, info.unit, 'compact') : cellWord(cell);
}

export function cellTitle(cell: Cell, info: FigureInfo): string {
  if (cell.state !== 'value') return cellReason(cell);
  const exact = formatFigure(cell.value, info.unit, 'exact');
  return `${info.label}: ${exact}. ${info.description}`;
}

export function cellAttributes(cell: Cell, info: FigureInfo, figure: string): Attributes {
  return {
    'data-figure': figure,
    'data-state': cell.state,
    'data-value': cell.state === 'value' ? String(cell.value) : undefined,
    title: cellTitle(cell, info),
  };
}
