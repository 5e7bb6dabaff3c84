import { Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { isPillarName, PILLAR_ORDER, type PillarName } from './pillars';

/**
 * Which figures each pillar has, read from a persisted operation's text rather than typed in a second
 * place: the fields the operation asks under each pillar of a scorecard, in the order it asks them, with
 * fragment spreads followed. The page and the report show exactly what their operations fetch.
 */
export type PillarFields = Record<PillarName, string[]>;

interface Fragments {
  [name: string]: FragmentDefinitionNode;
}

interface SelectedField {
  name: string;
  /** The response key: the alias when there is one. */
  alias: string;
  set?: SelectionSetNode;
}

/** The field selections of a selection set, with fragment spreads and inline fragments expanded in place. */
function fieldsOf(set: SelectionSetNode, fragments: Fragments): SelectedField[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [{ name: selection.name.value, alias: selection.alias?.value ?? selection.name.value, set: selection.selectionSet }];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet, fragments);
    const fragment = fragments[selection.name.value];
    if (!fragment) throw new Error(`The operation spreads fragment ${selection.name.value}, which its text does not define.`);
    return fieldsOf(fragment.selectionSet, fragments);
  });
}

/**
 * The pillar fields of the scorecard found at `path` (response keys, list levels skipped) in the operation
 * `body`, e.g. `['city']` in DashboardYear or `['kelurahanList', 'scorecard']` in CityDashboard.
 */
export function pillarFieldsOf(body: string, path: string[]): PillarFields {
  const document = parse(body);
  const fragments: Fragments = {};
  let operation: SelectionSetNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
    else if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition.selectionSet;
  }
  if (!operation) throw new Error('Expected an operation in the persisted body, found only fragments.');
  let set: SelectionSetNode = operation;
  for (const key of path) {
    const field: SelectedField | undefined = fieldsOf(set, fragments).find((candidate) => candidate.alias === key);
    if (!field?.set) throw new Error(`Expected the operation to select ${path.join('.')} with sub-fields; it has no "${key}" there.`);
    set = field.set;
  }
  const result = Object.fromEntries(PILLAR_ORDER.map((name) => [name, [] as string[]])) as PillarFields;
  for (const field of fieldsOf(set, fragments)) {
    if (!isPillarName(field.alias) || !field.set) continue;
    const names = fieldsOf(field.set, fragments).map((figure) => figure.alias);
    result[field.alias] = [...new Set(names)];
  }
  const missing = PILLAR_ORDER.filter((name) => result[name].length === 0);
  if (missing.length > 0) throw new Error(`Expected the scorecard at ${path.join('.')} to ask every pillar's figures; it asks none of ${missing.join(', ')}.`);
  return result;
}
