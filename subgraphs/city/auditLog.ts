import { createHmac } from 'node:crypto';
import { purposeProblem, type AppendResult, type AuditEntry } from '../../platform/audit';
import { json, HttpError, type HttpRequest, type HttpResponse } from '../../platform/http';
import type { AgencyContext } from '../kit/agency';
import { isResidentId } from '../kit/residents';
import type { AuditEntryRecord, CityModels } from './models';

/**
 * The audit log's chain. Every entry is hashed, with a secret only the city holds (AUDIT_SECRET), over its
 * own content and the previous entry's hash: changing, removing or reordering any entry breaks the chain
 * from there on, and without the secret no one can compute a chain that holds again. The newest entry can
 * only be vouched for by someone who noted the head (`residentAccessChain.head`) earlier.
 */
type CityContext = AgencyContext<CityModels>;

type ChainFields = Omit<AuditEntryRecord, '_id' | 'hash'>;

/** The fields an entry's hash covers, in a fixed order. */
function canonical(entry: ChainFields): string {
  return JSON.stringify([
    entry.seq,
    entry.at.toISOString(),
    entry.kind,
    entry.subject ?? null,
    entry.role ?? null,
    entry.purpose ?? null,
    entry.residentId ?? null,
    entry.operationName ?? null,
    entry.readId ?? null,
    entry.agenciesAsked ?? null,
    entry.agenciesAnswered ?? null,
    entry.outcome ?? null,
    entry.prevHash ?? '',
  ]);
}

export function chainHash(entry: ChainFields, secret: string): string {
  return createHmac('sha256', secret).update(canonical(entry)).digest('hex');
}

function requireAuditSecret(ctx: CityContext): string {
  const secret = ctx.secrets.auditSecret;
  if (!secret) throw new Error('AUDIT_SECRET is not set: the city subgraph cannot chain the audit log.');
  return secret;
}

/** Checks one entry as the gateway sent it; the log takes only what the contract describes. */
function checkEntry(entry: AuditEntry, index: number): AuditEntry {
  const where = `entries[${index}]`;
  if (entry?.kind === 'read') {
    if (typeof entry.subject !== 'string' || !entry.subject || typeof entry.role !== 'string') throw new HttpError(400, `${where}: a read needs its subject and role.`);
    if (!isResidentId(entry.residentId)) throw new HttpError(400, `${where}: a read needs a resident id.`);
    const problem = purposeProblem(entry.purpose);
    if (problem) throw new HttpError(400, `${where}: expected ${problem}.`);
    return entry;
  }
  if (entry?.kind === 'outcome') {
    if (typeof entry.readId !== 'string' || !entry.readId) throw new HttpError(400, `${where}: an outcome needs the id of its read.`);
    if (entry.outcome !== 'answered' && entry.outcome !== 'refused') throw new HttpError(400, `${where}: outcome must be answered or refused.`);
    return entry;
  }
  throw new HttpError(400, `${where}: expected an entry of kind "read" or "outcome".`);
}

/**
 * Appends entries at the end of the chain, all of them or none, in one write unit. Two appends racing (two
 * city replicas) both aim at the same next `seq`; its unique index lets one in and the write unit runs the
 * other again on top of it.
 */
export async function appendEntries(entries: AuditEntry[], ctx: CityContext): Promise<AppendResult> {
  const secret = requireAuditSecret(ctx);
  const checked = entries.map(checkEntry);
  const { AuditEntry } = ctx.models;
  return ctx.transaction(
    async () => {
      const last = await AuditEntry.findOne({}, { seq: 1, hash: 1 }).sort({ seq: -1 }).lean();
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? '';
      const appended: AppendResult['entries'] = [];
      for (const entry of checked) {
        seq += 1;
        const fields: ChainFields = { ...entry, seq, at: new Date(), prevHash } as ChainFields;
        const hash = chainHash(fields, secret);
        const [created] = await AuditEntry.create([{ ...fields, hash }]);
        appended.push({ id: String(created._id), seq });
        prevHash = hash;
      }
      return { entries: appended };
    },
    { changesPublicData: false },
  );
}

/** The gateway's route: POST /audit/append with `{ entries }`. */
export async function appendRoute(request: HttpRequest, ctx: CityContext): Promise<HttpResponse> {
  if (request.method !== 'POST') throw new HttpError(405, 'The audit log takes entries by POST.');
  let body: { entries?: unknown };
  try {
    body = JSON.parse(request.body);
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.');
  }
  if (!Array.isArray(body.entries) || body.entries.length === 0 || body.entries.length > 100) {
    throw new HttpError(400, 'Expected { entries: [...] } with 1 to 100 entries.');
  }
  return json(200, await appendEntries(body.entries as AuditEntry[], ctx));
}

export interface ChainReport {
  intact: boolean;
  entries: number;
  head: { seq: number; hash: string; at: string } | null;
  firstBreak: { seq: number; reason: string } | null;
}

/** Walks the whole chain in order and says whether it holds, and where it first breaks. */
export async function verifyChain(ctx: CityContext): Promise<ChainReport> {
  const secret = requireAuditSecret(ctx);
  let expectedSeq = 1;
  let prevHash = '';
  let entries = 0;
  let head: ChainReport['head'] = null;
  const cursor = ctx.models.AuditEntry.find({}).sort({ seq: 1 }).lean<AuditEntryRecord[]>().cursor();
  for await (const entry of cursor as AsyncIterable<AuditEntryRecord>) {
    entries += 1;
    const broken = (reason: string): ChainReport => ({ intact: false, entries, head, firstBreak: { seq: entry.seq, reason } });
    if (entry.seq !== expectedSeq) {
      return broken(
        entry.seq > expectedSeq
          ? `entries ${expectedSeq} to ${entry.seq - 1} are missing before entry ${entry.seq}`
          : `entry ${entry.seq} appears twice or out of order`,
      );
    }
    if ((entry.prevHash ?? '') !== prevHash) return broken(`entry ${entry.seq} does not follow entry ${entry.seq - 1}: its link to the previous hash is broken`);
    if (chainHash(entry, secret) !== entry.hash) return broken(`entry ${entry.seq} was changed after it was written: its hash does not match its content`);
    prevHash = entry.hash;
    head = { seq: entry.seq, hash: entry.hash, at: entry.at.toISOString() };
    expectedSeq += 1;
  }
  return { intact: true, entries, head, firstBreak: null };
}
