import { describe, expect, it } from 'vitest';
import { KELURAHAN } from '../kit/reference/kelurahan';
import {
  DELIBERATION_REF,
  PROPOSAL_STATUSES,
  approvalProblem,
  approvalRoom,
  canTransition,
  emptyApproved,
  fieldCap,
  fieldCapShare,
  formatRupiah,
  realizationProblem,
  reportSteps,
  rtCeiling,
  rtCount,
  sumApproved,
  type ApprovedSoFar,
} from './rules';

function approved(byField: Partial<ApprovedSoFar['byField']>): ApprovedSoFar {
  const base = emptyApproved();
  const merged = { ...base.byField, ...byField };
  return { byField: merged, total: Object.values(merged).reduce((sum, n) => sum + n, 0) };
}

describe('the RT ceiling', () => {
  it('is Rp100 million from 2022 and Rp50 million before', () => {
    expect(rtCeiling(2021)).toBe(50_000_000);
    expect(rtCeiling(2022)).toBe(100_000_000);
    expect(rtCeiling(2024)).toBe(100_000_000);
  });
});

describe('Prodamas caps per field', () => {
  it('follows Perwali 28/2023 from 2024: infrastructure 40%, health 40%, social 20%, economy 20%', () => {
    expect(fieldCap('infrastructure', 2024, 100_000_000)).toBe(40_000_000);
    expect(fieldCap('health', 2024, 100_000_000)).toBe(40_000_000);
    expect(fieldCap('social', 2024, 100_000_000)).toBe(20_000_000);
    expect(fieldCap('economy', 2024, 100_000_000)).toBe(20_000_000);
  });

  it('follows the earlier 60/20/20 table before 2024', () => {
    expect(fieldCap('infrastructure', 2023, 100_000_000)).toBe(60_000_000);
    expect(fieldCap('health', 2023, 100_000_000)).toBe(20_000_000);
    expect(fieldCap('social', 2022, 100_000_000)).toBe(20_000_000);
    expect(fieldCap('economy', 2021, 50_000_000)).toBe(10_000_000);
    expect(fieldCap('infrastructure', 2021, 50_000_000)).toBe(30_000_000);
  });

  it('rounds a cap down to a whole rupiah for an uneven ceiling', () => {
    expect(fieldCap('social', 2024, 33_333_333)).toBe(6_666_666);
    expect(fieldCap('infrastructure', 2024, 33_333_333)).toBe(13_333_333);
    expect(fieldCapShare('health', 2024)).toBe(0.4);
  });
});

describe('the RTs of a kelurahan', () => {
  it('numbers every RT of the city once: 1,478 over the 46 kelurahan, none for an unknown code', () => {
    expect(KELURAHAN.reduce((sum, kelurahan) => sum + rtCount(kelurahan.code), 0)).toBe(1478);
    for (const kelurahan of KELURAHAN) expect(rtCount(kelurahan.code)).toBeGreaterThan(0);
    expect(rtCount('35.71.09.9999')).toBe(0);
  });
});

describe('deliberation references', () => {
  it('accepts Muskel minutes numbers and refuses markup', () => {
    expect(DELIBERATION_REF.test('MUSKEL/35.71.01.1001/2024/007')).toBe(true);
    expect(DELIBERATION_REF.test('BA 12-2024')).toBe(true);
    expect(DELIBERATION_REF.test('<script>')).toBe(false);
    expect(DELIBERATION_REF.test('/leading-slash')).toBe(false);
  });
});

describe('approval against caps and the ceiling', () => {
  it('leaves the whole field cap free when nothing is approved', () => {
    expect(approvalRoom('infrastructure', 2024, 100_000_000, emptyApproved())).toEqual({
      field: 40_000_000,
      total: 100_000_000,
      remaining: 40_000_000,
    });
  });

  it('allows an amount exactly filling the field cap and refuses one rupiah more', () => {
    const soFar = approved({ health: 25_000_000 });
    expect(approvalProblem(15_000_000, 'health', 2024, 100_000_000, soFar)).toBeNull();
    expect(approvalProblem(15_000_001, 'health', 2024, 100_000_000, soFar)).toBe(
      'at most Rp15.000.000: the health cap for 2024 is 40% of the Rp100.000.000 ceiling (Rp40.000.000) ' +
        'and Rp25.000.000 is already approved in that field',
    );
  });

  it('holds the RT ceiling when the fields together would pass it', () => {
    // 40 + 40 + 20 = 100 million approved: the economy cap still has 20 million free, the ceiling none.
    const soFar = approved({ infrastructure: 40_000_000, health: 40_000_000, social: 20_000_000 });
    const room = approvalRoom('economy', 2024, 100_000_000, soFar);
    expect(room).toEqual({ field: 20_000_000, total: 0, remaining: 0 });
    expect(approvalProblem(1, 'economy', 2024, 100_000_000, soFar)).toBe(
      "at most Rp0: the RT's ceiling for 2024 is Rp100.000.000 and Rp100.000.000 is already approved",
    );
  });

  it('takes the smaller of the field room and the ceiling room', () => {
    const soFar = approved({ infrastructure: 55_000_000, social: 20_000_000, economy: 18_000_000 });
    // 2023: infrastructure cap 60 million leaves 5 million; the ceiling leaves 7 million.
    expect(approvalRoom('infrastructure', 2023, 100_000_000, soFar).remaining).toBe(5_000_000);
    // Health cap 20 million is untouched, but the ceiling leaves only 7 million.
    expect(approvalRoom('health', 2023, 100_000_000, soFar).remaining).toBe(7_000_000);
    expect(approvalProblem(7_000_000, 'health', 2023, 100_000_000, soFar)).toBeNull();
    expect(approvalProblem(7_000_001, 'health', 2023, 100_000_000, soFar)).toMatch(/^at most Rp7\.000\.000: the RT's ceiling/);
  });

  it('sums what is approved from the proposals approved or further along, never proposed or rejected ones', () => {
    const proposals = [
      { status: 'proposed', field: 'health', amount: 1_000_000 },
      { status: 'approved', field: 'health', amount: 2_000_000 },
      { status: 'completed', field: 'infrastructure', amount: 30_000_000 },
      { status: 'in_progress', field: 'health', amount: 500_000 },
      { status: 'rejected', field: 'economy', amount: 20_000_000 },
    ];
    expect(sumApproved(proposals)).toEqual(approved({ health: 2_500_000, infrastructure: 30_000_000 }));
  });

  it('never reports negative room when earlier approvals already exceed a cap', () => {
    const soFar = approved({ infrastructure: 45_000_000 });
    expect(approvalRoom('infrastructure', 2024, 100_000_000, soFar).remaining).toBe(0);
  });
});

describe('status transitions', () => {
  it('allows the lifecycle proposed → approved → disbursed → in_progress → reported → completed', () => {
    expect(canTransition('proposed', 'approved')).toBe(true);
    expect(canTransition('approved', 'disbursed')).toBe(true);
    expect(canTransition('disbursed', 'in_progress')).toBe(true);
    expect(canTransition('in_progress', 'reported')).toBe(true);
    expect(canTransition('reported', 'completed')).toBe(true);
    expect(canTransition('proposed', 'rejected')).toBe(true);
  });

  it('refuses skipping, going back and leaving a final status', () => {
    expect(canTransition('proposed', 'disbursed')).toBe(false);
    expect(canTransition('approved', 'proposed')).toBe(false);
    expect(canTransition('approved', 'rejected')).toBe(false);
    for (const to of PROPOSAL_STATUSES) {
      expect(canTransition('completed', to)).toBe(false);
      expect(canTransition('rejected', to)).toBe(false);
    }
  });

  it('lets an LPJ move a disbursed or in-progress proposal to reported through allowed steps only', () => {
    expect(reportSteps('disbursed')).toEqual(['in_progress', 'reported']);
    expect(reportSteps('in_progress')).toEqual(['reported']);
    expect(reportSteps('approved')).toBeNull();
    expect(reportSteps('reported')).toBeNull();
    expect(reportSteps('proposed')).toBeNull();
  });
});

describe('realizations', () => {
  it('accepts up to the disbursed amount, to the rupiah', () => {
    expect(realizationProblem(18_500_000, 20_000_000)).toBeNull();
    expect(realizationProblem(20_000_000, 20_000_000)).toBeNull();
    expect(realizationProblem(0, 20_000_000)).toBeNull();
  });

  it('refuses more than was disbursed, by a single rupiah (fractions and negative amounts are the kit validator\'s)', () => {
    expect(realizationProblem(20_000_001, 20_000_000)).toBe(
      'at most the disbursed Rp20.000.000 (an LPJ cannot account for more than was paid out)',
    );
    expect(realizationProblem(1, 0)).toMatch(/^at most the disbursed Rp0 /);
  });
});

describe('rupiah formatting', () => {
  it('groups thousands with dots', () => {
    expect(formatRupiah(0)).toBe('0');
    expect(formatRupiah(1_500)).toBe('1.500');
    expect(formatRupiah(147_800_000_000)).toBe('147.800.000.000');
  });
});
