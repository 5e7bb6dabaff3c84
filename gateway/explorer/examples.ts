import type { Role } from '../../platform/identity';

/**
 * The operations the explorer opens with: one tab per role of the city, each a first useful question that
 * role may ask, so a newcomer sees at once what each key unlocks. The explorer fills each tab's header editor
 * with that role's development key (when it may hand keys out, see explorer.ts); the texts say which role
 * runs them, so they read right without a key too. A test validates every one against the committed
 * supergraph and runs each through the gateway as its role.
 */
export interface ExplorerExample {
  role: Role;
  /** A named operation: GraphiQL titles the tab with its name. */
  query: string;
  variables?: Record<string, unknown>;
}

/** The resident of the README's example: this id holds with the development secrets of .env.example. */
const EXAMPLE_RESIDENT = 'R3c6bdebce4b661a0b4296daf5086a4bf';

export const EXPLORER_EXAMPLES: ExplorerExample[] = [
  {
    // First, and with its arguments written in: GraphiQL 5 fills the editors of the first tab it opens with the
    // tab's operation only, not with its variables or headers.
    role: 'public',
    query: `# As the public, without a key: one kelurahan by its code,
# and the city's scorecard for 2023.
query PublicKelurahanAndScorecard {
  kelurahan(code: "35.71.01.1005") {
    code
    name
    kecamatan { code name }
  }
  cityScorecard(year: 2023) {
    year
    living {
      homecarePatients homecareVisits medianResponseHours
    }
    economy {
      loansDisbursed amountDisbursed nonPerformingRate
    }
  }
}`,
  },
  {
    role: 'dashboard',
    query: `# As the dashboard role: every kelurahan of a kecamatan with its
# scorecard, exact (small counts are not withheld).
query DashboardCity($kecamatan: String, $year: Int!) {
  kelurahanList(kecamatan: $kecamatan) {
    code
    name
    kecamatan { name }
    scorecard(year: $year) {
      governance { taxReportsFiled onTimeFilingRate taxRevenue }
      living { homecarePatients homecareVisits medianResponseHours }
      environment { activeWasteBanks members tonnesRecovered }
      society { activeEmasSpots participants classes }
      economy { loansDisbursed amountDisbursed nonPerformingRate }
      branding { prodamasBudget prodamasProposals realizationRate }
    }
  }
}`,
    variables: { kecamatan: '35.71.01', year: 2023 },
  },
  {
    role: 'agency:tax',
    query: `# As the tax agency: its registered taxpayers, personal data included.
query TaxTaxpayers($first: Int) {
  taxpayers(first: $first) {
    totalCount
    nodes { npwpd name }
  }
}`,
    variables: { first: 5 },
  },
  {
    role: 'agency:health',
    query: `# As the health agency: its homecare requests with their patients.
query HealthHomecareRequests($first: Int) {
  homecareRequests(first: $first) {
    totalCount
    nodes { id receivedAt priority status patient { name kelurahanCode } }
  }
}`,
    variables: { first: 5 },
  },
  {
    role: 'agency:environment',
    // A waste bank of the sample data, in Sukorame: the kelurahan of the public tab.
    query: `# As the environment agency: the members (savers) of one waste bank.
query EnvironmentWasteBankMembers($wasteBankCode: String!, $first: Int) {
  wasteBankMembers(wasteBankCode: $wasteBankCode, first: $first) {
    totalCount
    nodes { id name joinedOn }
  }
}`,
    variables: { wasteBankCode: 'BS-0105-001', first: 5 },
  },
  {
    role: 'agency:education',
    query: `# As the education agency: the EMAS participants it registered.
query EducationEmasParticipants($first: Int) {
  emasParticipants(first: $first) {
    totalCount
    nodes { id name ageBand kelurahanCode }
  }
}`,
    variables: { first: 5 },
  },
  {
    role: 'agency:economy',
    query: `# As the economy agency: Kurnia loan applications with their applicants.
query EconomyKurniaApplications($first: Int) {
  kurniaApplications(first: $first) {
    totalCount
    nodes { id status amountRequested submittedAt applicant { name businessName } }
  }
}`,
    variables: { first: 5 },
  },
  {
    role: 'agency:branding',
    query: `# As the branding agency: the Prodamas proposals waiting for its decision.
query BrandingProposedProdamas($year: Int, $first: Int) {
  prodamasProposals(year: $year, status: PROPOSED, first: $first) {
    totalCount
    nodes { id kelurahanCode rw rt field title amount submittedAt }
  }
}`,
    variables: { year: 2024, first: 5 },
  },
  {
    role: 'agency:city',
    query: `# As the city's own agency: its reference list of kelurahan,
# with their postal and BPS codes.
query CityKelurahanList($kecamatan: String) {
  kelurahanList(kecamatan: $kecamatan) {
    code
    name
    postalCode
    bpsCode
  }
}`,
    variables: { kecamatan: '35.71.02' },
  },
  {
    role: 'caseworker',
    query: `# As a caseworker: one resident across the agencies, with the
# purpose of the read, which the audit log records.
query CaseworkerResident($id: ID!, $purpose: String!) {
  resident(id: $id, purpose: $purpose) {
    id
    taxpayer { npwpd }
    wasteBankSavings { balance }
    prodamasRoles { role year }
  }
}`,
    variables: { id: EXAMPLE_RESIDENT, purpose: 'Case 2026-42: social assistance review' },
  },
  {
    role: 'auditor',
    query: `# As the auditor: the cross-agency resident reads, and whether
# the audit log's chain is intact.
query AuditorAccessLog($first: Int) {
  residentAccessLog(first: $first) {
    totalCount
    nodes { seq at subject role purpose residentId agenciesAnswered outcome }
  }
  residentAccessChain {
    intact
    entries
    head { seq hash }
    firstBreak { seq reason }
  }
}`,
    variables: { first: 10 },
  },
];
