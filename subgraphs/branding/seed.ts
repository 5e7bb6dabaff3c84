import { Types } from 'mongoose';
import { createRandom, type Random } from '../kit/random';
import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';
import { ageOn, residentId, samplePopulation, type SampleResident } from '../kit/residents';
import type { BrandingModels, ProdamasRoleKind } from './models';
import {
  APPROVED_STATUSES,
  DISBURSED_STATUSES,
  emptyApproved,
  fieldCap,
  rtCeiling,
  type ApprovedSoFar,
  type ImplementingGroup,
  type ProdamasField,
  type ProposalStatus,
} from './rules';
import { insertSeed } from '../kit/seeding';

/**
 * Sample Prodamas data for 2021–2024: one budget for each of the 1,478 RT every year, 4 to 7 activity lines
 * per RT that respect the year's caps and ceiling, a few over-cap proposals rejected, and LPJ realizations of
 * 90–98% of the approved amount. Older years are closed; 2024 is the running year, spread over every status.
 * The same generator seed gives the same data everywhere, so tests and dashboards can rely on the figures.
 */
export const SEED_YEARS = [2021, 2022, 2023, 2024] as const;
const CURRENT_YEAR = 2024;
const DAY_MS = 86_400_000;

const TITLES: Record<ProdamasField, readonly string[]> = {
  infrastructure: [
    'Paving the RT footpath',
    'Repairing the neighbourhood drain',
    'Solar street lights for the lanes',
    'Rebuilding the RT guard post',
    'Concrete culvert at the lane junction',
    'Clean water pipe for the RT',
  ],
  health: [
    'Posyandu supplementary food for toddlers',
    'Elderly posyandu health checks',
    'Mosquito nest eradication campaign',
    'Stunting prevention classes for mothers',
    'Household waste sorting and sanitation',
  ],
  social: [
    'Independence Day community events',
    'Religious study group equipment',
    'Youth sports equipment',
    'Traditional arts practice (jaranan)',
    'Reading corner for children',
  ],
  economy: [
    'Sewing training for home businesses',
    'Tempe and tofu processing training',
    'Digital marketing class for small traders',
    'Catfish farming starter kits',
    'Batik making training',
  ],
};

/** Who usually carries out each field's activities. */
const GROUPS: Record<ProdamasField, readonly (readonly [ImplementingGroup, number])[]> = {
  infrastructure: [['pokmas', 8], ['lpmk', 2]],
  health: [['pkk', 9], ['pokmas', 1]],
  social: [['karang_taruna', 6], ['pkk', 3], ['pokmas', 1]],
  economy: [['pokmas', 5], ['pkk', 4], ['karang_taruna', 1]],
};

const MEMBER_ROLE: Record<ImplementingGroup, ProdamasRoleKind> = {
  pokmas: 'pokmas_member',
  pkk: 'pkk_member',
  karang_taruna: 'karang_taruna_member',
  lpmk: 'lpmk_member',
};

/** The running year's proposals are spread over the lifecycle as a mid-year snapshot would find them. */
const CURRENT_YEAR_STATUSES: readonly (readonly [ProposalStatus, number])[] = [
  ['proposed', 4],
  ['approved', 8],
  ['disbursed', 14],
  ['in_progress', 30],
  ['reported', 24],
  ['completed', 20],
];

const LIFECYCLE: readonly ProposalStatus[] = ['proposed', 'approved', 'disbursed', 'in_progress', 'reported', 'completed'];
/** Days from one lifecycle step to the next, as [min, max]. */
const STEP_DAYS: Record<ProposalStatus, readonly [number, number]> = {
  proposed: [0, 0],
  approved: [14, 45],
  disbursed: [14, 60],
  in_progress: [3, 14],
  reported: [30, 150],
  completed: [14, 45],
  rejected: [14, 45],
};

type Doc = Record<string, unknown>;

interface SeedDocs {
  budgets: Doc[];
  proposals: Doc[];
  realizations: Doc[];
  roles: Doc[];
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** The status a seeded approved proposal ends in: closed for past years, anywhere for the running year. */
function finalStatus(year: number, random: Random): ProposalStatus {
  if (year === CURRENT_YEAR) return random.weighted(CURRENT_YEAR_STATUSES);
  if (year === CURRENT_YEAR - 1) return random.chance(0.03) ? 'reported' : 'completed';
  return 'completed';
}

function history(status: ProposalStatus, submittedAt: Date, random: Random): { status: string; at: Date }[] {
  const steps = status === 'rejected' ? (['proposed', 'rejected'] as const) : LIFECYCLE.slice(0, LIFECYCLE.indexOf(status) + 1);
  let at = submittedAt;
  return steps.map((step) => {
    const [min, max] = STEP_DAYS[step];
    at = addDays(at, random.int(min, max));
    return { status: step, at };
  });
}

/**
 * Splits about 88–100% of the ceiling over `count` activity lines, in multiples of Rp100,000, never letting
 * a field pass its cap or the lines together pass the ceiling.
 */
function planAmounts(year: number, ceiling: number, count: number, random: Random): { field: ProdamasField; amount: number }[] {
  const fields: ProdamasField[] = ['infrastructure'];
  while (fields.length < count) {
    fields.push(random.weighted([['infrastructure', 3], ['health', 3], ['social', 2], ['economy', 2]] as const));
  }
  const used = emptyApproved();
  let left = Math.floor(ceiling * (0.88 + random.next() * 0.12));
  const lines: { field: ProdamasField; amount: number }[] = [];
  random.shuffle(fields).forEach((field, index) => {
    const fieldRoom = fieldCap(field, year, ceiling) - used.byField[field];
    const share = (left / (count - index)) * (0.8 + random.next() * 0.4);
    const amount = Math.floor(Math.min(fieldRoom, left, share) / 100_000) * 100_000;
    if (amount < 500_000) return;
    used.byField[field] += amount;
    used.total += amount;
    left -= amount;
    lines.push({ field, amount });
  });
  return lines;
}

function residentsByRt(): Map<string, SampleResident[]> {
  const map = new Map<string, SampleResident[]>();
  for (const person of samplePopulation()) {
    const key = `${person.kelurahanCode}|${person.rt}`;
    const list = map.get(key) ?? [];
    list.push(person);
    map.set(key, list);
  }
  return map;
}

export function buildBrandingSeed(secret: string): SeedDocs {
  const random = createRandom('kediri-branding-prodamas');
  const people = residentsByRt();
  const docs: SeedDocs = { budgets: [], proposals: [], realizations: [], roles: [] };
  const chairs = new Map<string, SampleResident>();

  for (const year of SEED_YEARS) {
    const firstOfYear = new Date(Date.UTC(year, 0, 1));
    for (const unit of NEIGHBOURHOODS) {
      const { kelurahanCode, rw, rt } = unit;
      const ceiling = rtCeiling(year);
      const budgetId = new Types.ObjectId();
      const approved: ApprovedSoFar = emptyApproved();
      const deliberationRef = `MUSKEL/${kelurahanCode}/${year}/RW${String(rw).padStart(2, '0')}`;
      const groupsUsed = new Set<ImplementingGroup>();

      const lines: { field: ProdamasField; amount: number; rejected: boolean }[] = planAmounts(
        year,
        ceiling,
        random.int(4, 7),
        random,
      ).map((line) => ({ ...line, rejected: false }));
      // Some deliberations ask for more than a field allows; Bappeda rejects those.
      if (random.chance(0.05)) {
        const field = lines[0].field;
        lines.push({ field, amount: fieldCap(field, year, ceiling), rejected: true });
      }

      lines.forEach((line, index) => {
        const proposalId = new Types.ObjectId();
        const status: ProposalStatus = line.rejected ? 'rejected' : finalStatus(year, random);
        const submittedAt = addDays(firstOfYear, random.int(4, 60));
        const statusHistory = history(status, submittedAt, random);
        const group = random.weighted(GROUPS[line.field]);
        groupsUsed.add(group);
        if (APPROVED_STATUSES.includes(status)) {
          approved.byField[line.field] += line.amount;
          approved.total += line.amount;
        }
        docs.proposals.push({
          _id: proposalId,
          budgetId,
          kelurahanCode,
          rw,
          rt,
          year,
          field: line.field,
          title: random.pick(TITLES[line.field]),
          amount: line.amount,
          deliberationRef,
          implementingGroup: group,
          status,
          statusHistory,
          submittedAt: statusHistory[0].at,
          disbursedAmount: DISBURSED_STATUSES.includes(status) ? line.amount : 0,
          ...(line.rejected ? { rejectionReason: `Exceeds the ${line.field} cap for ${year}.` } : {}),
          idempotencyKey: `seed-${year}-${kelurahanCode}-${rt}-${index + 1}`,
        });
        if (status === 'reported' || status === 'completed') {
          const reportedAt = statusHistory.find((step) => step.status === 'reported')!.at;
          docs.realizations.push({
            _id: new Types.ObjectId(),
            proposalId,
            budgetId,
            kelurahanCode,
            rt,
            year,
            amountSpent: Math.round(line.amount * (0.9 + random.next() * 0.08)),
            reportedAt,
            evidenceRef: `LPJ/${kelurahanCode}/${year}/RT${String(rt).padStart(3, '0')}-${index + 1}`,
          });
        }
      });

      docs.budgets.push({
        _id: budgetId,
        kelurahanCode,
        rw,
        rt,
        year,
        ceiling,
        approvedTotal: approved.total,
        approved: approved.byField,
      });

      const key = `${kelurahanCode}|${rt}`;
      const adults = (people.get(key) ?? []).filter((person) => ageOn(person.birthDate, firstOfYear) >= 17);
      if (adults.length === 0) continue;
      // An RT chair usually serves several years; about a third of RTs elect a new one in 2023.
      let chair = chairs.get(key);
      if (!chair || !adults.includes(chair) || (year === 2023 && random.chance(0.33))) {
        chair = random.pick(adults);
        chairs.set(key, chair);
      }
      const holders: [SampleResident, ProdamasRoleKind][] = [[chair, 'rt_chair']];
      const others = random.shuffle(adults.filter((person) => person !== chair));
      for (const group of groupsUsed) {
        for (let i = random.int(1, 2); i > 0 && others.length > 0; i -= 1) holders.push([others.pop()!, MEMBER_ROLE[group]]);
      }
      for (const [person, role] of holders) {
        docs.roles.push({
          _id: new Types.ObjectId(),
          nik: person.nik,
          residentId: residentId(person.nik, secret),
          role,
          kelurahanCode,
          rw,
          rt,
          year,
        });
      }
    }
  }
  return docs;
}


export async function seedBranding(
  models: BrandingModels,
  secrets: { residentIdSecret: string },
): Promise<Record<string, number>> {
  const docs = buildBrandingSeed(secrets.residentIdSecret);
  // Budgets first, so that no proposal ever points at a budget that is not there yet.
  return {
    rtBudgets: await insertSeed(models.RtBudget, docs.budgets),
    proposals: await insertSeed(models.Proposal, docs.proposals),
    realizations: await insertSeed(models.Realization, docs.realizations),
    prodamasRoles: await insertSeed(models.ProdamasRole, docs.roles),
  };
}
