import { NEIGHBOURHOODS } from '../kit/reference/neighbourhoods';

/**
 * The rules of Prodamas Plus (Program Pemberdayaan Masyarakat), Kota Kediri's community budget: every RT
 * plans, carries out and accounts for its own yearly budget. Pure functions, so that each rule is tested
 * to the rupiah without a database. (The shape of caller input, such as a whole number of rupiah or a
 * calendar date, is checked by the kit's validators; what is left here is Prodamas's own.)
 */

export const PRODAMAS_FIELDS = ['infrastructure', 'health', 'social', 'economy'] as const;
export type ProdamasField = (typeof PRODAMAS_FIELDS)[number];

export const IMPLEMENTING_GROUPS = ['pokmas', 'pkk', 'karang_taruna', 'lpmk'] as const;
export type ImplementingGroup = (typeof IMPLEMENTING_GROUPS)[number];

export const PROPOSAL_STATUSES = [
  'proposed',
  'approved',
  'disbursed',
  'in_progress',
  'reported',
  'completed',
  'rejected',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/** Statuses of a proposal whose amount the city has committed: approved and everything after it. */
export const APPROVED_STATUSES: readonly ProposalStatus[] = ['approved', 'disbursed', 'in_progress', 'reported', 'completed'];

/** Statuses in which the money has been paid out to the implementing group. */
export const DISBURSED_STATUSES: readonly ProposalStatus[] = ['disbursed', 'in_progress', 'reported', 'completed'];

/** Statuses from which an accountability report (LPJ) may be filed: the money is out, the work is done. */
export const REPORTABLE_STATUSES: readonly ProposalStatus[] = ['disbursed', 'in_progress'];

/** The first year this graph holds Prodamas data for. */
export const FIRST_PRODAMAS_YEAR = 2021;

/** The highest yearly ceiling an RT has had: no amount of one RT's budget can be larger. */
export const MAX_RT_CEILING = 100_000_000;

/**
 * The yearly ceiling of one RT. Published: up to Rp100 million per RT per year since Prodamas Plus, and
 * Rp50 million originally. Assumption: the raise to Rp100 million took effect with the 2022 budget, so
 * 2021 still runs on Rp50 million.
 */
export function rtCeiling(year: number): number {
  return year >= 2022 ? MAX_RT_CEILING : 50_000_000;
}

const RT_COUNT = new Map<string, number>();
for (const unit of NEIGHBOURHOODS) RT_COUNT.set(unit.kelurahanCode, Math.max(RT_COUNT.get(unit.kelurahanCode) ?? 0, unit.rt));

/** How many RTs a kelurahan has (numbered from 1 across its RWs); 0 for a code that is not a kelurahan. */
export function rtCount(kelurahanCode: string): number {
  return RT_COUNT.get(kelurahanCode) ?? 0;
}

/** A Muskel minutes number: letters, digits, ".", "/", "-" and spaces, beginning with a letter or digit. */
export const DELIBERATION_REF = /^[A-Za-z0-9][A-Za-z0-9./\- ]*$/;

/**
 * The largest share of an RT's ceiling that one field may take, by year.
 *
 * From 2024 the table of Perwali 28/2023 applies (published): infrastructure 40%, health 40%, social 20%,
 * economy 20%. The shares add up to more than 100% on purpose: each is a cap, and the RT's whole budget is
 * capped separately by its ceiling.
 *
 * Before 2024 (assumption): the original 60/20/20 split of Prodamas, read as caps: infrastructure 60%,
 * social 20%, economy 20%. Health activities (posyandu, elderly care) were funded from the social share
 * then; they are recorded under their own field here with a 20% cap so that every year uses the same four
 * fields.
 */
export function fieldCapShare(field: ProdamasField, year: number): number {
  if (year >= 2024) return { infrastructure: 0.4, health: 0.4, social: 0.2, economy: 0.2 }[field];
  return { infrastructure: 0.6, health: 0.2, social: 0.2, economy: 0.2 }[field];
}

/** The cap of one field in rupiah: the share of the ceiling, rounded down to a whole rupiah. */
export function fieldCap(field: ProdamasField, year: number, ceiling: number): number {
  // Shares are whole percentages, so working in percent avoids binary-fraction drift (0.2 * x).
  return Math.floor((Math.round(fieldCapShare(field, year) * 100) * ceiling) / 100);
}

/** What an RT has already approved in a year, in total and per field. */
export interface ApprovedSoFar {
  total: number;
  byField: Record<ProdamasField, number>;
}

export function emptyApproved(): ApprovedSoFar {
  return { total: 0, byField: { infrastructure: 0, health: 0, social: 0, economy: 0 } };
}

/** What a budget's proposals have approved: the amounts of those approved or in any later status. */
export function sumApproved(proposals: readonly { status: string; field: string; amount: number }[]): ApprovedSoFar {
  const approved = emptyApproved();
  for (const proposal of proposals) {
    if (!APPROVED_STATUSES.includes(proposal.status as ProposalStatus)) continue;
    approved.total += proposal.amount;
    approved.byField[proposal.field as ProdamasField] += proposal.amount;
  }
  return approved;
}

export interface ApprovalRoom {
  /** Rupiah still free under the field's cap. */
  field: number;
  /** Rupiah still free under the RT's ceiling. */
  total: number;
  /** The smaller of the two: the largest amount that can still be approved in this field. */
  remaining: number;
}

/** How much more an RT may approve in one field this year. Never negative. */
export function approvalRoom(
  field: ProdamasField,
  year: number,
  ceiling: number,
  approved: ApprovedSoFar,
): ApprovalRoom {
  const fieldRoom = Math.max(0, fieldCap(field, year, ceiling) - approved.byField[field]);
  const totalRoom = Math.max(0, ceiling - approved.total);
  return { field: fieldRoom, total: totalRoom, remaining: Math.min(fieldRoom, totalRoom) };
}

/**
 * Whether a proposal of `amount` can be approved on top of what is already approved: the field's cap and
 * the RT's ceiling must both hold. Returns the reason when it cannot.
 */
export function approvalProblem(
  amount: number,
  field: ProdamasField,
  year: number,
  ceiling: number,
  approved: ApprovedSoFar,
): string | null {
  const room = approvalRoom(field, year, ceiling, approved);
  if (amount <= room.remaining) return null;
  const percent = Math.round(fieldCapShare(field, year) * 100);
  if (room.field <= room.total) {
    return (
      `at most Rp${formatRupiah(room.remaining)}: the ${field} cap for ${year} is ${percent}% of the ` +
      `Rp${formatRupiah(ceiling)} ceiling (Rp${formatRupiah(fieldCap(field, year, ceiling))}) and ` +
      `Rp${formatRupiah(approved.byField[field])} is already approved in that field`
    );
  }
  return (
    `at most Rp${formatRupiah(room.remaining)}: the RT's ceiling for ${year} is Rp${formatRupiah(ceiling)} ` +
    `and Rp${formatRupiah(approved.total)} is already approved`
  );
}

/** The lifecycle of a proposal: each status lists the statuses it may move to. */
export const STATUS_TRANSITIONS: Readonly<Record<ProposalStatus, readonly ProposalStatus[]>> = {
  proposed: ['approved', 'rejected'],
  approved: ['disbursed'],
  disbursed: ['in_progress'],
  in_progress: ['reported'],
  reported: ['completed'],
  completed: [],
  rejected: [],
};

export function canTransition(from: ProposalStatus, to: ProposalStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/**
 * The steps an accountability report (LPJ) takes a proposal through. An LPJ proves the activity was
 * carried out, so a proposal still marked disbursed passes through in_progress on its way to reported;
 * each step is a transition the table above allows. Null when no LPJ can be filed in that status.
 */
export function reportSteps(from: ProposalStatus): ProposalStatus[] | null {
  if (from === 'disbursed') return ['in_progress', 'reported'];
  if (from === 'in_progress') return ['reported'];
  return null;
}

/** Why a realization (a whole number of rupiah) is not acceptable, or null: at most what was paid out. */
export function realizationProblem(amountSpent: number, disbursedAmount: number): string | null {
  if (amountSpent > disbursedAmount) {
    return `at most the disbursed Rp${formatRupiah(disbursedAmount)} (an LPJ cannot account for more than was paid out)`;
  }
  return null;
}

/** Rupiah with Indonesian thousands separators: 40.000.000. */
export function formatRupiah(amount: number): string {
  return Math.round(amount)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}
