import type { Model } from 'mongoose';
import { addDays, kediriDay, isoDay, todayInKediri } from '../kit/calendar';
import type { Random } from '../kit/random';
import { ageOn, samplePopulation } from '../kit/residents';
import { accepted, pickRecord, type RandomWrite, type WriteTarget } from '../kit/testing';
import type { ApplicationDoc, EconomyModels, LoanDoc } from './models';
import { BUSINESS_SECTORS, ineligibleAge, LICENCE_THRESHOLD, TIER_CEILINGS, type KurniaTier } from './rules';

/**
 * One random valid write of the economy agency, chosen among the sample's real records: submit an
 * application, verify, approve or reject one that waits for it, disburse an approved one, or record a
 * repayment of a loan still owed. Every day is a valid one for its record (not before the step it follows,
 * not after today in Kediri). Submissions are dated from 2024 on, so that the writes never add a loan to
 * the program's published first years; repayments go back to any day since their loan's disbursal, which
 * moves the outstanding and non-performing figures of every year from theirs on.
 */
const SUBMIT = 'mutation($input: SubmitKurniaApplicationInput!) { submitKurniaApplication(input: $input) { id } }';
const VERIFY = 'mutation($id: ID!, $day: String) { verifyKurniaApplication(id: $id, verifiedAt: $day) { id } }';
const APPROVE = 'mutation($id: ID!, $amount: Float!, $day: String) { approveKurniaApplication(id: $id, approvedAmount: $amount, decidedAt: $day) { id } }';
const REJECT = 'mutation($id: ID!, $reason: String!, $day: String) { rejectKurniaApplication(id: $id, reason: $reason, decidedAt: $day) { id } }';
const DISBURSE = 'mutation($id: ID!, $day: String!) { disburseKurniaLoan(applicationId: $id, disbursedAt: $day) { id } }';
const REPAY = 'mutation($input: RecordKurniaRepaymentInput!) { recordKurniaRepayment(input: $input) { id } }';

const EARLIEST_SUBMISSION = new Date(Date.UTC(2024, 0, 1));
const STEP = 500_000;
const REASONS = [
  'The family card (KK) was missing from the documents.',
  'The business was not found at the stated address.',
  'The applicant withdrew the application.',
];

type Target = WriteTarget<EconomyModels>;
type Write = (random: Random, target: Target) => Promise<string | undefined>;

/** A day from `from` to `to`, both included; `from` when they are the wrong way round. */
function dayBetween(random: Random, from: Date, to: Date): Date {
  const days = Math.round((to.getTime() - from.getTime()) / 86_400_000);
  return addDays(from, days > 0 ? random.int(0, days) : 0);
}

/** A text no earlier call of this run wrote, for idempotency keys and receipt references. */
function token(random: Random): string {
  return Array.from({ length: 3 }, () => random.int(0, 2_000_000_000).toString(36)).join('-');
}

/** One record matching `filter`, chosen in id order so that a seed gives the same choice on every machine. */
function chooseOne<T>(random: Random, model: Model<any>, filter: object): Promise<T | undefined> {
  return pickRecord<T>(model, filter, random.int(0, 1_000_000));
}

async function send(target: Target, query: string, variables: Record<string, unknown>, label: string): Promise<string> {
  return accepted(await target.query(query, variables), label);
}

function amountFor(random: Random, tier: KurniaTier): number {
  if (tier === 'cooperative') return random.int(2, 20) * 5_000_000;
  return tier === 'micro_small_under_10m' ? random.int(2, 19) * STEP : random.int(20, 50) * STEP;
}

const submit: Write = async (random, target) => {
  const day = dayBetween(random, EARLIEST_SUBMISSION, todayInKediri());
  const people = samplePopulation();
  let person = random.pick(people);
  for (let tries = 0; ageOn(person.birthDate, day) < 21 || ageOn(person.birthDate, day) > 60; tries += 1) {
    if (tries > 500) throw new Error('the sample population has no resident aged 21 to 60');
    person = random.pick(people);
  }
  const tier = random.weighted<KurniaTier>([['micro_small_under_10m', 45], ['micro_small_10_25m', 50], ['cooperative', 5]]);
  const amountRequested = amountFor(random, tier);
  const input = {
    nik: person.nik,
    name: person.name,
    birthDate: isoDay(person.birthDate),
    kelurahanCode: person.kelurahanCode,
    businessName: `Usaha ${person.name.split(' ')[0]}`,
    businessSector: random.pick(BUSINESS_SECTORS),
    hasBusinessLicence: amountRequested >= LICENCE_THRESHOLD || random.chance(0.3),
    tier,
    amountRequested,
    submittedAt: isoDay(day),
    idempotencyKey: `random-${token(random)}`,
  };
  return send(target, SUBMIT, { input }, `submitted an application of ${isoDay(day)} in ${person.kelurahanCode}`);
};

const verify: Write = async (random, target) => {
  const application = await chooseOne<ApplicationDoc>(random, target.models.Application, { status: 'submitted' });
  if (!application) return undefined;
  const day = dayBetween(random, kediriDay(application.submittedAt), todayInKediri());
  return send(target, VERIFY, { id: String(application._id), day: isoDay(day) }, `verified an application in ${application.kelurahanCode}`);
};

async function rejectOne(random: Random, target: Target, application: ApplicationDoc): Promise<string> {
  const day = dayBetween(random, kediriDay(application.verifiedAt ?? application.submittedAt), todayInKediri());
  const variables = { id: String(application._id), reason: random.pick(REASONS), day: isoDay(day) };
  return send(target, REJECT, variables, `rejected a ${application.status} application in ${application.kelurahanCode}`);
}

const reject: Write = async (random, target) => {
  const application = await chooseOne<ApplicationDoc>(random, target.models.Application, { status: { $in: ['submitted', 'verified'] } });
  return application && rejectOne(random, target, application);
};

/** Approves a verified application for an amount its tier, its request and its applicant's licence allow; rejects it when none is. */
const approve: Write = async (random, target) => {
  const application = await chooseOne<ApplicationDoc>(random, target.models.Application, { status: 'verified' });
  if (!application) return undefined;
  const applicant = await target.models.Applicant.findById(application.applicantId).lean();
  const band = TIER_CEILINGS[application.tier];
  const licensed = applicant?.hasBusinessLicence ?? false;
  const most = Math.min(band.max, application.amountRequested, licensed ? Infinity : LICENCE_THRESHOLD - 1);
  if (!applicant || most < band.min || ineligibleAge(applicant.birthDate, kediriDay(application.submittedAt)) !== null) {
    return rejectOne(random, target, application);
  }
  const amount = random.chance(0.7) ? most : random.int(band.min, most);
  const day = dayBetween(random, kediriDay(application.verifiedAt ?? application.submittedAt), todayInKediri());
  return send(target, APPROVE, { id: String(application._id), amount, day: isoDay(day) }, `approved Rp${amount} in ${application.kelurahanCode}`);
};

const disburse: Write = async (random, target) => {
  const application = await chooseOne<ApplicationDoc>(random, target.models.Application, { status: 'approved' });
  if (!application) return undefined;
  const day = dayBetween(random, kediriDay(application.decidedAt ?? application.submittedAt), todayInKediri());
  return send(target, DISBURSE, { id: String(application._id), day: isoDay(day) }, `disbursed a loan on ${isoDay(day)} in ${application.kelurahanCode}`);
};

/**
 * Repays a loan still owed (by the sum of its repayments), on a day since its disbursal: one instalment,
 * several at once (a borrower catching up, which can bring a non-performing loan back), or all that is
 * left (which takes the loan out of the outstanding loans of every year from then on).
 */
const repay: Write = async (random, target) => {
  const { Loan, Repayment } = target.models;
  const owing = (await Loan.find({}, { principal: 1, totalInterest: 1, amountRepaid: 1 }).sort({ _id: 1 }).lean<LoanDoc[]>()).filter(
    (loan) => loan.amountRepaid < loan.principal + loan.totalInterest,
  );
  if (owing.length === 0) return undefined;
  const loan = (await Loan.findById(random.pick(owing)._id).lean<LoanDoc>())!;
  const repaid = (await Repayment.find({ loanId: loan._id }, { amount: 1 }).lean<{ amount: number }[]>()).reduce((sum, r) => sum + r.amount, 0);
  const outstanding = loan.principal + loan.totalInterest - repaid;
  if (outstanding <= 0) return undefined;
  const instalment = loan.instalments[0].amount;
  const amount = random.weighted<number>([
    [Math.min(instalment, outstanding), 40],
    [Math.min(instalment * random.int(2, 12), outstanding), 25],
    [outstanding, 35],
  ]);
  const day = dayBetween(random, kediriDay(loan.disbursedAt), todayInKediri());
  const input = { loanId: String(loan._id), amount, paidAt: isoDay(day), reference: `RND-${token(random)}` };
  return send(target, REPAY, { input }, `repaid Rp${amount} on ${isoDay(day)} of a loan in ${loan.kelurahanCode}`);
};

const WRITES: readonly Write[] = [submit, verify, approve, reject, disburse, repay];

export const randomWrites: RandomWrite<EconomyModels> = async (random, target) => {
  const write = random.pick(WRITES);
  // Nothing waiting for the step chosen (no approved application, say): a submission always has a place.
  return (await write(random, target)) ?? (await submit(random, target))!;
};
