import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The collections every agency's database holds beside its own records, for the read model:
 * - `scorecard_figures`: the agency's pillar figures per kelurahan-year and per city-year, as its
 *   aggregation computed them, so that a scorecard is one indexed read instead of a re-aggregation;
 * - `data_version`: one counter per agency, raised by every write the agency commits, which the gateway
 *   polls to drop cached answers that the write made stale; it also records which version of the pillar's
 *   definition computed the stored figures, so that a changed definition rebuilds them at start.
 */
export const CITY = 'city';

const figuresSchema = new Schema(
  {
    /** `<year>|<kelurahan code or "city">`: the key a scorecard reads by. */
    _id: { type: String, required: true },
    year: { type: Number, required: true },
    /** A kelurahan code, or "city" for the whole city. */
    place: { type: String, required: true },
    figures: { type: Schema.Types.Mixed, required: true },
    refreshedAt: { type: Date, required: true },
  },
  { collection: 'scorecard_figures', versionKey: false, minimize: false },
);
figuresSchema.index({ year: 1, place: 1 }, { unique: true });

const dataVersionSchema = new Schema(
  {
    /** The agency's name. */
    _id: { type: String, required: true },
    version: { type: Number, required: true, default: 0 },
    changedAt: { type: Date },
    /** The pillar definition's version that computed the stored figures. */
    pillarVersion: { type: Number },
  },
  { collection: 'data_version', versionKey: false },
);

export interface StoredFigures<F = Record<string, unknown>> {
  _id: string;
  year: number;
  place: string;
  figures: F;
  refreshedAt: Date;
}

export interface DataVersionDoc {
  _id: string;
  version: number;
  changedAt?: Date;
  pillarVersion?: number;
}

export interface ReadModelModels {
  Figures: Model<StoredFigures>;
  DataVersion: Model<DataVersionDoc>;
}

export function readModelModels(connection: Connection): ReadModelModels {
  return {
    Figures: connection.model<StoredFigures>('ScorecardFigures', figuresSchema),
    DataVersion: connection.model<DataVersionDoc>('DataVersion', dataVersionSchema),
  };
}

/** The key of one place-year's figures. */
export function figuresKey(year: number, place: string): string {
  return `${year}|${place}`;
}

/** Raises the agency's data version; runs inside the write's transaction, so it counts committed writes only. */
export async function bumpDataVersion(models: ReadModelModels, agency: string): Promise<void> {
  await models.DataVersion.updateOne({ _id: agency }, { $inc: { version: 1 }, $set: { changedAt: new Date() } }, { upsert: true });
}

export async function readDataVersion(models: ReadModelModels, agency: string): Promise<number> {
  const doc = await models.DataVersion.findById(agency).lean();
  return doc?.version ?? 0;
}
