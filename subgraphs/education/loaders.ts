import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import type { Identity } from '../../platform/identity';
import type { AgencyContext } from '../kit/agency';
import { compositeKey, manyByField, oneByField, splitKey } from '../kit/loaders';
import type { EducationModels, ClassDoc, EnrolmentDoc, ParticipantDoc, SpotDoc, TutorDoc } from './models';

/**
 * The education subgraph's DataLoaders, built fresh for every request. Every entity and nested list goes
 * through one of them, so a page of classes with their spots and tutors costs one database command per kind
 * of record, not one per parent. (The scorecard's figures are the kit's: see pillar.ts.)
 */
export function createEducationLoaders(models: EducationModels, _identity: Identity) {
  type Lean<T> = T & Record<string, unknown>;
  // Loaders for a filtered list are kept per filter value, so each filter is still one `$in` query a batch.
  const scoped = new Map<string, DataLoader<string, any[]>>();
  function perFilter<T>(name: string, value: string | number | null | undefined, build: () => DataLoader<string, T[]>) {
    const key = `${name}:${value ?? 'any'}`;
    let loader = scoped.get(key);
    if (!loader) {
      loader = build();
      scoped.set(key, loader);
    }
    return loader as DataLoader<string, T[]>;
  }

  return {
    spot: oneByField<Lean<SpotDoc>>(models.Spot, '_id'),
    emasClass: oneByField<Lean<ClassDoc>>(models.EmasClass, '_id'),
    tutor: oneByField<Lean<TutorDoc>>(models.Tutor, '_id'),
    participant: oneByField<Lean<ParticipantDoc>>(models.Participant, '_id'),
    enrolmentsByParticipant: manyByField<Lean<EnrolmentDoc>>(models.Enrolment, 'participantId', { sort: { enrolledAt: 1 } }),
    enrolmentsByResident: manyByField<Lean<EnrolmentDoc>>(models.Enrolment, 'residentId', { sort: { enrolledAt: 1 } }),

    /** A kelurahan's spots, optionally only those with one current status. */
    spotsByKelurahan: (status: string | null | undefined) =>
      perFilter('spotsByKelurahan', status, () =>
        manyByField<Lean<SpotDoc>>(models.Spot, 'kelurahanCode', { scope: status ? { status } : {} })),
    /** A spot's classes, optionally of one year, oldest first. */
    classesBySpot: (year: number | null) =>
      perFilter('classesBySpot', year, () =>
        manyByField<Lean<ClassDoc>>(models.EmasClass, 'spotId', { scope: year === null ? {} : { year }, sort: { year: 1, _id: 1 } })),
    /** A tutor's classes, optionally of one year, oldest first. */
    classesByTutor: (year: number | null) =>
      perFilter('classesByTutor', year, () =>
        manyByField<Lean<ClassDoc>>(models.EmasClass, 'tutorId', { scope: year === null ? {} : { year }, sort: { year: 1, _id: 1 } })),

    /** Sessions attended per enrolment, keyed by compositeKey(classId, participantId): one aggregation a batch. */
    sessionsAttended: new DataLoader<string, number>(async (keys) => {
      const pairs = keys.map((key) => splitKey(key));
      const rows = await models.Attendance.aggregate<{ _id: { classId: Types.ObjectId; participantId: Types.ObjectId }; sessions: number }>([
        {
          $match: {
            classId: { $in: [...new Set(pairs.map(([classId]) => classId))].map((id) => new Types.ObjectId(id)) },
            participantId: { $in: [...new Set(pairs.map(([, participantId]) => participantId))].map((id) => new Types.ObjectId(id)) },
          },
        },
        { $group: { _id: { classId: '$classId', participantId: '$participantId' }, sessions: { $sum: 1 } } },
      ]);
      const counts = new Map(rows.map((row) => [compositeKey(String(row._id.classId), String(row._id.participantId)), row.sessions]));
      return keys.map((key) => counts.get(key) ?? 0);
    }),
  };
}

export type EducationLoaders = ReturnType<typeof createEducationLoaders>;

/** What every education resolver and mutation receives. */
export type EducationContext = AgencyContext<EducationModels, EducationLoaders>;
