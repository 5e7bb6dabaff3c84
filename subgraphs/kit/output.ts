/**
 * How stored records leave a subgraph, the same in every agency: ids as strings, instants as ISO-8601, and
 * GraphQL enum values (upper case) mapped to the lower-case codes the records and rules keep.
 */

/** A record's id as the graph hands it out. */
export function idOf(record: { _id: unknown }): string {
  return String(record._id);
}

/** An instant as ISO-8601, or null when there is none. */
export function isoOrNull(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}

/** The resolver of a GraphQL enum whose values are the upper-case spellings of these codes. */
export function enumOf(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => [value.toUpperCase(), value]));
}
