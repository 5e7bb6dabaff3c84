import type { Cell } from '../model/answers';
import { figureInfo, type FigureInfo } from '../model/figures';
import type { PillarFields } from '../model/operationFields';
import { PILLARS, pillar, type PillarName } from '../model/pillars';
import { groupByKecamatan, type KelurahanFigures } from '../model/scorecards';
import { headlineFields } from './cards';
import { cellAttributes, cellText } from './cells';
import type { YearView } from './data';
import { el } from './dom';

/**
 * The kelurahan table: one row per kelurahan, grouped by kecamatan (or not), with the headline figures of
 * every pillar or every figure of one pillar, sortable by any column. A figure without a number sorts last
 * whichever way the column is sorted, so withheld cells never pose as the smallest.
 */
export type Selection = 'headline' | PillarName;

interface Column {
  pillar: PillarName;
  field: string;
  info: FigureInfo;
  firstOfPillar: boolean;
}

interface Sort {
  /** 'code' (the graph's order), 'name', or a figure as "pillar.field". */
  key: string;
  direction: 'ascending' | 'descending';
}

export class KelurahanTable {
  private view: YearView | undefined;
  private selection: Selection = 'headline';
  private sort: Sort = { key: 'code', direction: 'ascending' };

  constructor(
    private readonly table: HTMLTableElement,
    pillarSelect: HTMLSelectElement,
    private readonly groupBox: HTMLInputElement,
    private readonly fields: PillarFields,
  ) {
    pillarSelect.replaceChildren(
      el('option', { value: 'headline' }, ['Headline figures of every pillar']),
      ...PILLARS.map((entry) => el('option', { value: entry.name }, [`${entry.title}: every figure`])),
    );
    pillarSelect.addEventListener('change', () => {
      this.selection = pillarSelect.value as Selection;
      this.render();
    });
    groupBox.addEventListener('change', () => this.render());
  }

  show(view: YearView): void {
    this.view = view;
    this.render();
  }

  private columns(): Column[] {
    const pillars = this.selection === 'headline' ? PILLARS.map((entry) => entry.name) : [this.selection];
    return pillars.flatMap((name) => {
      const fields = this.selection === 'headline' ? headlineFields(this.fields, name) : this.fields[name];
      return fields.map((field, index) => ({ pillar: name, field, info: figureInfo(name, field), firstOfPillar: index === 0 }));
    });
  }

  private sortButton(key: string, label: string, title?: string): HTMLButtonElement {
    const button = el('button', { type: 'button', class: 'sort', 'data-sort': key, title }, [label]);
    button.addEventListener('click', () => {
      const direction = this.sort.key === key && this.sort.direction === 'ascending' ? 'descending' : 'ascending';
      // Figures read best largest first; names alphabetically.
      this.sort = { key, direction: this.sort.key === key ? direction : key === 'name' || key === 'code' ? 'ascending' : 'descending' };
      this.render();
    });
    return button;
  }

  private ariaSort(key: string): string | undefined {
    return this.sort.key === key ? this.sort.direction : undefined;
  }

  private head(columns: Column[]): HTMLTableSectionElement {
    const pillarRow = el('tr', {}, [
      el('th', { class: 'name-head', rowspan: 2, scope: 'col', 'aria-sort': this.ariaSort('name') }, [this.sortButton('name', 'Kelurahan')]),
    ]);
    for (const column of columns.filter((candidate) => candidate.firstOfPillar)) {
      const span = columns.filter((candidate) => candidate.pillar === column.pillar).length;
      pillarRow.append(el('th', { class: 'pillar-head', colspan: span, scope: 'colgroup', title: pillar(column.pillar).agency }, [pillar(column.pillar).title]));
    }
    const fieldRow = el(
      'tr',
      {},
      columns.map((column) => {
        const key = `${column.pillar}.${column.field}`;
        return el('th', { scope: 'col', class: column.firstOfPillar ? 'first-of-pillar' : undefined, 'aria-sort': this.ariaSort(key) }, [
          this.sortButton(key, column.info.label, column.info.description),
        ]);
      }),
    );
    return el('thead', {}, [pillarRow, fieldRow]);
  }

  private compare(a: KelurahanFigures, b: KelurahanFigures): number {
    const { key, direction } = this.sort;
    const sign = direction === 'ascending' ? 1 : -1;
    if (key === 'code') return sign * (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
    if (key === 'name') return sign * a.name.localeCompare(b.name, 'id');
    const [name, field] = key.split('.') as [PillarName, string];
    const value = (row: KelurahanFigures) => {
      const cell: Cell | undefined = row.figures[name][field];
      return cell?.state === 'value' ? cell.value : undefined;
    };
    const left = value(a);
    const right = value(b);
    if (left === undefined || right === undefined) return left === right ? a.code.localeCompare(b.code) : left === undefined ? 1 : -1;
    return sign * (left - right) || a.code.localeCompare(b.code);
  }

  private row(row: KelurahanFigures, columns: Column[]): HTMLTableRowElement {
    return el('tr', { 'data-kelurahan': row.code }, [
      el('th', { scope: 'row' }, [row.name, el('span', { class: 'code' }, [row.code])]),
      ...columns.map((column) => {
        const cell = row.figures[column.pillar][column.field] ?? { state: 'none' as const };
        return el('td', { class: column.firstOfPillar ? 'first-of-pillar' : undefined, 'data-kelurahan': row.code, ...cellAttributes(cell, column.info, `${column.pillar}.${column.field}`) }, [
          cellText(cell, column.info),
        ]);
      }),
    ]);
  }

  private render(): void {
    if (!this.view) return;
    const columns = this.columns();
    const sorted = [...this.view.kelurahan].sort((a, b) => this.compare(a, b));
    const bodies = this.groupBox.checked
      ? groupByKecamatan(sorted).map((group) =>
          el('tbody', { 'data-kecamatan': group.code }, [
            el('tr', { class: 'group' }, [
              el('th', { colspan: columns.length + 1, scope: 'rowgroup' }, [`Kecamatan ${group.name} (${group.code}) · ${group.kelurahan.length} kelurahan`]),
            ]),
            ...group.kelurahan.map((row) => this.row(row, columns)),
          ]),
        )
      : [el('tbody', {}, sorted.map((row) => this.row(row, columns)))];
    this.table.replaceChildren(
      el('caption', { class: 'visually-hidden' }, [`Kelurahan figures for ${this.view.year}`]),
      this.head(columns),
      ...bodies,
    );
  }
}
