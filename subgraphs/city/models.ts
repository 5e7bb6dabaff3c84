import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';

/**
 * The resident-access audit log, which the city subgraph owns: the gateway appends entries through the
 * city's audit route (see auditLog.ts), auditors read them through the graph. Each entry carries its place
 * in the chain (`seq`), the previous entry's hash and its own, so an entry edited, removed or moved in the
 * database is found by the chain check. The model refuses every update and delete: the log only grows.
 */
const auditEntrySchema = new Schema(
  {
    /** Position in the chain, from 1, without gaps. */
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    kind: { type: String, required: true, enum: ['read', 'outcome'] },
    subject: { type: String },
    role: { type: String },
    purpose: { type: String },
    residentId: { type: String },
    operationName: { type: String, default: null },
    /** For an outcome: the read it completes. */
    readId: { type: String },
    agenciesAsked: { type: [String], default: undefined },
    agenciesAnswered: { type: [String], default: undefined },
    outcome: { type: String, enum: ['answered', 'refused'] },
    prevHash: { type: String, default: '' },
    hash: { type: String, required: true },
  },
  { collection: 'resident_access_audit', versionKey: false },
);
// One entry per place in the chain, even with several city replicas appending at once.
auditEntrySchema.index({ seq: 1 }, { unique: true });
// The log's pages (in _id order, see kit/pagination.ts) by resident or by caller, each from an index.
auditEntrySchema.index({ kind: 1, residentId: 1, _id: 1 });
auditEntrySchema.index({ kind: 1, subject: 1, _id: 1 });
auditEntrySchema.index({ readId: 1 });

const REFUSED = ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete', 'findOneAndReplace'] as const;
for (const operation of REFUSED) {
  auditEntrySchema.pre(operation, function refuse() {
    throw new Error(`The resident-access audit log is append-only: ${operation} is refused.`);
  });
}

export type AuditEntryRecord = Stored<typeof auditEntrySchema>;

const MODELS = { AuditEntry: ['ResidentAccessAudit', auditEntrySchema] } as const;

export type CityModels = CompiledModels<typeof MODELS>;

export function cityModels(connection: Connection): CityModels {
  return compileModels(connection, MODELS);
}
