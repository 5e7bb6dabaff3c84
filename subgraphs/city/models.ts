import { Schema, type Connection } from 'mongoose';
import { compileModels, type CompiledModels, type Stored } from '../kit/models';
import { AUDIT_COLLECTION } from '../../platform/audit';

/**
 * The resident-access audit log as the city subgraph reads it. The gateway appends the records; this
 * subgraph only reads them, so the model declares no write path.
 */
const residentAccessSchema = new Schema(
  {
    at: { type: Date, required: true },
    subject: { type: String, required: true },
    role: { type: String, required: true },
    purpose: { type: String, required: true },
    residentId: { type: String, required: true, index: true },
    operationName: { type: String, default: null },
    agenciesAsked: { type: [String], default: [] },
    agenciesAnswered: { type: [String], default: [] },
    outcome: { type: String, enum: ['answered', 'refused'], required: true },
  },
  { collection: AUDIT_COLLECTION, versionKey: false },
);
residentAccessSchema.index({ subject: 1, at: -1 });

export type ResidentAccess = Stored<typeof residentAccessSchema>;

const MODELS = { ResidentAccess: ['ResidentAccess', residentAccessSchema] } as const;

export type CityModels = CompiledModels<typeof MODELS>;

export function cityModels(connection: Connection): CityModels {
  return compileModels(connection, MODELS);
}
