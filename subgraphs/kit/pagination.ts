import { Types, type FilterQuery, type Model } from 'mongoose';
import { badUserInput } from '../../platform/errors';

/**
 * Cursor pagination over `_id` order, the same for every list in the graph. A cursor is opaque to
 * callers; inside it is the last `_id` of the page, so the next page is one indexed range query however
 * deep the caller goes (no growing skip).
 */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export function encodeCursor(id: unknown): string {
  const text = id instanceof Types.ObjectId ? `o:${id.toHexString()}` : `s:${String(id)}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): unknown {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (text.startsWith('o:') && Types.ObjectId.isValid(text.slice(2))) return new Types.ObjectId(text.slice(2));
  if (text.startsWith('s:') && text.length > 2) return text.slice(2);
  throw badUserInput(field, 'a cursor returned as pageInfo.endCursor by an earlier page', cursor);
}

export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badUserInput(field, `an integer from 1 to ${MAX_PAGE_SIZE}`, first);
  }
  return first;
}

export async function paginate<T extends { _id: unknown }>(
  model: Model<any>,
  filter: FilterQuery<any>,
  args: PageArgs,
): Promise<Page<T>> {
  const size = pageSize(args.first);
  const range = args.after ? { _id: { $gt: decodeCursor(args.after) } } : {};
  const [docs, totalCount] = await Promise.all([
    model
      .find({ ...filter, ...range })
      .sort({ _id: 1 })
      .limit(size + 1)
      .lean<T[]>(),
    model.countDocuments(filter),
  ]);
  const nodes = docs.slice(0, size);
  const last = nodes[nodes.length - 1];
  return {
    nodes,
    pageInfo: { hasNextPage: docs.length > size, endCursor: last ? encodeCursor(last._id) : null },
    totalCount,
  };
}
