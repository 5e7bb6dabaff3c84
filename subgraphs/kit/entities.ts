import { Kind, type DocumentNode } from 'graphql';
import { isKelurahanCode } from './reference/kelurahan';
import { todayInKediri } from './calendar';
import { FIRST_YEAR } from './validate';

/**
 * The shared entities every agency extends: a kelurahan, a kelurahan's scorecard and the city's scorecard.
 * The gateway hands a subgraph their keys; a key that names no kelurahan of Kota Kediri, or no year the
 * graph reports on, resolves to null in every agency alike (in an argument, the same value is a
 * BAD_USER_INPUT: see validate.ts).
 */
type ResolverMap = Record<string, Record<string, unknown>>;

/** A year the graph reports on, by Kediri's calendar, as requireYear decides it for an argument. */
function isReportedYear(year: unknown): year is number {
  return Number.isInteger(year) && (year as number) >= FIRST_YEAR && (year as number) <= todayInKediri().getUTCFullYear() + 1;
}

const REFERENCES: ResolverMap = {
  Kelurahan: {
    __resolveReference: (ref: { code?: unknown }) => (isKelurahanCode(ref.code) ? { code: ref.code } : null),
  },
  KelurahanScorecard: {
    __resolveReference: (ref: { kelurahanCode?: unknown; year?: unknown }) =>
      isKelurahanCode(ref.kelurahanCode) && isReportedYear(ref.year) ? { kelurahanCode: ref.kelurahanCode, year: ref.year } : null,
  },
  CityScorecard: {
    __resolveReference: (ref: { year?: unknown }) => (isReportedYear(ref.year) ? { year: ref.year } : null),
  },
};

/** The reference resolvers of the shared entities that this subgraph's SDL declares. */
export function entityReferenceResolvers(typeDefs: DocumentNode): ResolverMap {
  const declared = new Set(
    typeDefs.definitions.flatMap((definition) =>
      definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION ? [definition.name.value] : [],
    ),
  );
  return Object.fromEntries(Object.entries(REFERENCES).filter(([type]) => declared.has(type)));
}

/** Resolver maps merged type by type; a later map's field wins over an earlier one's. */
export function mergeResolvers(...maps: ResolverMap[]): ResolverMap {
  const merged: ResolverMap = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) merged[type] = { ...(merged[type] ?? {}), ...fields };
  }
  return merged;
}
