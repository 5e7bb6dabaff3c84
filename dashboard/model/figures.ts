import type { PillarName } from './pillars';

/**
 * How each figure of a pillar reads to a person: its label and unit, and whether it is one of the pillar's
 * headline figures (the indicators the city reports per pillar, docs/domain.md "Cross-agency reporting"). Which
 * figures exist is not decided here but by the persisted operations (see operationFields.ts); a test holds
 * this catalogue to them, so a figure added to a fragment in schema/operations/pillars.graphql without a
 * label here fails the build instead of showing up unlabelled.
 */
export type Unit =
  /** A whole number of things or people. */
  | 'count'
  /** Indonesian rupiah. */
  | 'rupiah'
  /** A share from 0 to 1, shown as a percentage; its change is in percentage points. */
  | 'share'
  /** A figure that is already in percent (an interest rate). */
  | 'percent'
  | 'hours'
  | 'tonnes';

export interface FigureInfo {
  label: string;
  unit: Unit;
  headline: boolean;
  /** What it counts, for tooltips and the report's notes. */
  description: string;
}

export const FIGURES: Record<PillarName, Record<string, FigureInfo>> = {
  governance: {
    taxReportsFiled: { label: 'Tax reports filed', unit: 'count', headline: true, description: 'Monthly tax reports (SPTPD) filed for the year, drafts excluded.' },
    onTimeFilingRate: { label: 'Filed online on time', unit: 'share', headline: true, description: 'Share of the reports filed online by the 10th of the following month.' },
    taxRevenue: { label: 'Tax revenue', unit: 'rupiah', headline: true, description: 'Tax and interest received in the year.' },
    taxDue: { label: 'Tax due', unit: 'rupiah', headline: false, description: "Tax due on the year's reports." },
    activeTaxpayers: { label: 'Active taxpayers', unit: 'count', headline: false, description: "Taxpayers with at least one report for the year's periods." },
  },
  living: {
    homecarePatients: { label: 'Homecare patients', unit: 'count', headline: true, description: 'Distinct patients visited at home in the year.' },
    homecareVisits: { label: 'Home visits', unit: 'count', headline: true, description: 'Home visits made in the year.' },
    medianResponseHours: { label: 'Median response', unit: 'hours', headline: true, description: 'Median hours from a request to the first visit.' },
    homecareRequests: { label: 'Requests', unit: 'count', headline: false, description: 'Homecare requests received in the year.' },
  },
  environment: {
    wasteBanks: { label: 'Waste banks', unit: 'count', headline: true, description: 'Waste banks that existed in the year, active or not.' },
    activeWasteBanks: { label: 'Active waste banks', unit: 'count', headline: true, description: 'Waste banks active on the last day of the year.' },
    members: { label: 'Members', unit: 'count', headline: true, description: 'Residents who were members of a waste bank in the year.' },
    tonnesRecovered: { label: 'Tonnes recovered', unit: 'tonnes', headline: true, description: 'Sorted waste deposited in the year.' },
    inactiveWasteBanks: { label: 'Inactive waste banks', unit: 'count', headline: false, description: 'Waste banks that existed in the year but were inactive at its end.' },
    deposits: { label: 'Deposits', unit: 'count', headline: false, description: 'Weigh-ins by one member in the year.' },
    depositValue: { label: 'Deposit value', unit: 'rupiah', headline: false, description: "Value of the waste deposited, credited to members' savings." },
  },
  society: {
    emasSpots: { label: 'EMAS spots', unit: 'count', headline: true, description: 'English Massive spots that existed during the year.' },
    activeEmasSpots: { label: 'Active spots', unit: 'count', headline: true, description: 'Spots active at the end of the year.' },
    participants: { label: 'Participants', unit: 'count', headline: true, description: "Distinct participants enrolled in the year's classes." },
    tutors: { label: 'Tutors', unit: 'count', headline: true, description: "Distinct tutors teaching the year's classes." },
    classes: { label: 'Classes', unit: 'count', headline: false, description: 'Classes that ran during the year.' },
    enrolments: { label: 'Enrolments', unit: 'count', headline: false, description: "Enrolments in the year's classes." },
  },
  economy: {
    loansDisbursed: { label: 'Kurnia loans', unit: 'count', headline: true, description: 'Kurnia loans disbursed in the year.' },
    amountDisbursed: { label: 'Amount disbursed', unit: 'rupiah', headline: true, description: 'Principal disbursed in the year.' },
    interestRatePercent: { label: 'Interest rate', unit: 'percent', headline: true, description: "Principal-weighted average interest rate of the year's loans, a year." },
    nonPerformingRate: { label: 'Non-performing', unit: 'share', headline: true, description: 'Share of loans outstanding at the end of the year more than 90 days past due.' },
    outstandingLoans: { label: 'Outstanding loans', unit: 'count', headline: false, description: 'Loans outstanding at the end of the year.' },
    applicationsSubmitted: { label: 'Applications', unit: 'count', headline: false, description: 'Applications submitted in the year.' },
  },
  branding: {
    prodamasBudget: { label: 'Prodamas budget', unit: 'rupiah', headline: true, description: "Sum of the RT budgets' ceilings for the year." },
    prodamasProposals: { label: 'Proposals', unit: 'count', headline: true, description: 'Proposals submitted for the year, in any status.' },
    realizationRate: { label: 'Realization rate', unit: 'share', headline: true, description: 'Realized rupiah (LPJ) over approved rupiah.' },
    rtBudgets: { label: 'RT budgets', unit: 'count', headline: false, description: 'RT budgets of the year.' },
    approvedAmount: { label: 'Approved', unit: 'rupiah', headline: false, description: 'Sum of the approved proposals.' },
    realizedAmount: { label: 'Realized', unit: 'rupiah', headline: false, description: 'Sum spent according to the LPJs.' },
    budgetUptake: { label: 'Budget uptake', unit: 'share', headline: false, description: 'Approved rupiah over the budget.' },
  },
};

/** The catalogue's entry for a figure; a figure the catalogue lacks reads as its field name, counted as a number. */
export function figureInfo(pillar: PillarName, field: string): FigureInfo {
  return FIGURES[pillar][field] ?? { label: field, unit: 'count', headline: false, description: field };
}
