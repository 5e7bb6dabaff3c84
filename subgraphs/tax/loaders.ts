import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { manyByField, oneByField } from '../kit/loaders';
import type { TaxModels, TaxObjectRecord, TaxPaymentRecord, TaxReportRecord, TaxpayerRecord } from './models';

/**
 * The tax agency's DataLoaders, built fresh for every request. Every entity and nested list goes through
 * one of them, so that a page of 100 reports asks for their objects, taxpayers and payments in one query
 * each. (The scorecard's figures are the kit's: see pillar.ts.)
 */
export function createTaxLoaders(models: TaxModels, _identity: Identity) {
  return {
    taxpayerById: oneByField<TaxpayerRecord>(models.Taxpayer, '_id'),
    taxpayerByNpwpd: oneByField<TaxpayerRecord>(models.Taxpayer, 'npwpd'),
    taxpayerByResidentId: oneByField<TaxpayerRecord>(models.Taxpayer, 'residentId', { type: 'individual' }),
    taxObjectById: oneByField<TaxObjectRecord>(models.TaxObject, '_id'),
    taxObjectsByTaxpayer: manyByField<TaxObjectRecord>(models.TaxObject, 'taxpayerId'),
    reportById: oneByField<TaxReportRecord>(models.TaxReport, '_id'),
    reportsByTaxObject: manyByField<TaxReportRecord>(models.TaxReport, 'taxObjectId', { sort: { period: 1 } }),
    paymentByReport: oneByField<TaxPaymentRecord>(models.TaxPayment, 'reportId'),

    /** Key: a taxpayer id; how many reports are filed but unpaid and the tax due on them. */
    unpaidByTaxpayer: new DataLoader<string, { unpaidReports: number; unpaidTaxDue: number }>(async (ids) => {
      // Aggregation pipelines are not cast by mongoose, so the ids are made ObjectIds here.
      const rows = await models.TaxReport.aggregate<{ _id: unknown; unpaidReports: number; unpaidTaxDue: number }>([
        { $match: { taxpayerId: { $in: ids.map((id) => new Types.ObjectId(id)) }, status: { $in: ['submitted', 'verified'] } } },
        { $group: { _id: '$taxpayerId', unpaidReports: { $sum: 1 }, unpaidTaxDue: { $sum: '$taxDue' } } },
      ]);
      const byId = new Map(rows.map((row) => [String(row._id), row]));
      return ids.map((id) => byId.get(id) ?? { unpaidReports: 0, unpaidTaxDue: 0 });
    }),
  };
}

export type TaxLoaders = ReturnType<typeof createTaxLoaders>;

/** What every tax resolver and mutation receives. */
export type TaxContext = AgencyContext<TaxModels, TaxLoaders>;
