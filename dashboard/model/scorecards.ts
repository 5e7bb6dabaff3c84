import { AnswerReader, type Cell } from './answers';
import type { PillarFields } from './operationFields';
import { PILLAR_ORDER, type PillarName } from './pillars';

/**
 * Scorecards as the page and the report use them: every figure of every pillar as a Cell (a value, or why
 * there is none), read from an operation's answer with the figure list read from the operation's text.
 */
export type Figures = Record<PillarName, Record<string, Cell>>;

export interface KelurahanFigures {
  code: string;
  name: string;
  kecamatan: { code: string; name: string };
  figures: Figures;
}

export interface Kecamatan {
  code: string;
  name: string;
  kelurahan: KelurahanFigures[];
}

/** The scorecard whose pillars sit under `path` in the answer, e.g. ['city'] or ['kelurahanList', 4, 'scorecard']. */
export function readScorecard(reader: AnswerReader, path: readonly (string | number)[], fields: PillarFields): Figures {
  return Object.fromEntries(
    PILLAR_ORDER.map((name) => [name, Object.fromEntries(fields[name].map((field) => [field, reader.figure([...path, name], field)]))]),
  ) as Figures;
}

interface KelurahanNode {
  code: string;
  name: string;
  kecamatan: { code: string; name: string };
}

/** Every kelurahan of the list at `listKey` with the scorecard under `scorecardKey`, in the answer's order. */
export function readKelurahanFigures(reader: AnswerReader, fields: PillarFields, listKey = 'kelurahanList', scorecardKey = 'scorecard'): KelurahanFigures[] {
  const list = reader.valueAt([listKey]);
  if (!Array.isArray(list)) {
    const reason = reader.answer.errors?.[0]?.message ?? 'the answer has no data';
    throw new Error(`Expected the gateway's answer to list the kelurahan (${listKey}); it did not: ${reason}`);
  }
  return (list as KelurahanNode[]).map((node, index) => ({
    code: node.code,
    name: node.name,
    kecamatan: { code: node.kecamatan.code, name: node.kecamatan.name },
    figures: readScorecard(reader, [listKey, index, scorecardKey], fields),
  }));
}

/** The kelurahan grouped by kecamatan, the kecamatan in code order and the kelurahan in the order given. */
export function groupByKecamatan(rows: readonly KelurahanFigures[]): Kecamatan[] {
  const groups = new Map<string, Kecamatan>();
  for (const row of rows) {
    const group = groups.get(row.kecamatan.code) ?? { ...row.kecamatan, kelurahan: [] };
    group.kelurahan.push(row);
    groups.set(row.kecamatan.code, group);
  }
  return [...groups.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** A cell's number, or undefined when it holds none. */
export function valueOf(cell: Cell | undefined): number | undefined {
  return cell?.state === 'value' ? cell.value : undefined;
}
