import { badUserInput, conflict, notFound } from '../../../platform/errors';
import { requireStaff } from '../../kit/agency';
import { isoDay } from '../../kit/calendar';
import { reportedYears } from '../../kit/pillar';
import { residentId } from '../../kit/residents';
import { requireNik, requirePastDate, requireText } from '../../kit/validate';
import type { EnvironmentContext } from '../loaders';
import type { MemberDoc } from '../models';
import { isActiveOn, requireWasteBankCode } from '../rules';

/**
 * Registering a resident as a saver of a waste bank. The membership's natural key is the resident (kept as
 * the pseudonymous id of the NIK) and the waste bank: registering the same person at the same waste bank
 * again answers with the first membership, and the unique index on that pair settles two registrations
 * racing (the loser's unit runs again and finds the winner).
 */
export interface RegisterWasteBankMemberInput {
  nik: string;
  name: string;
  wasteBankCode: string;
  joinedOn: string;
}

/** The registration's fields as they are stored, checked before anything is read; `joinedOn` is a day on Kediri's calendar. */
export function readRegistration(input: RegisterWasteBankMemberInput, now: Date = new Date()) {
  return {
    nik: requireNik(input.nik, 'nik'),
    name: requireText(input.name, 'name', { min: 2, max: 120 }).replace(/\s+/g, ' '),
    wasteBankCode: requireWasteBankCode(input.wasteBankCode, 'wasteBankCode'),
    joinedAt: requirePastDate(input.joinedOn, 'joinedOn', now),
  };
}

/**
 * A membership counts among the members of every year from the one it begins in, for as long as it goes on:
 * a new one changes its kelurahan's figures (and the city's) from that year to the last year reported.
 */
export function yearsFrom(year: number): number[] {
  return reportedYears().filter((reported) => reported >= year);
}

export async function registerWasteBankMember(input: RegisterWasteBankMemberInput, ctx: EnvironmentContext): Promise<MemberDoc> {
  requireStaff(ctx, 'Registering a waste bank member');
  const { nik, name, wasteBankCode, joinedAt } = readRegistration(input);
  const resident = residentId(nik, ctx.secrets.residentIdSecret);
  const { Member, WasteBank } = ctx.models;

  return ctx.transaction(async (unit) => {
    const bank = await WasteBank.findOne({ code: wasteBankCode }).lean();
    if (!bank) throw notFound('waste bank', `code ${wasteBankCode}`);
    const existing = await Member.findOne({ wasteBankCode, residentId: resident }).lean<MemberDoc>();
    if (existing) {
      // The same person at the same waste bank: a retry when the details agree, a second membership otherwise.
      if (existing.name !== name || existing.joinedAt.getTime() !== joinedAt.getTime()) {
        throw conflict(
          `This NIK is already a member of waste bank ${wasteBankCode} (member ${String(existing._id)}, joined ${isoDay(existing.joinedAt)}) ` +
            'under another name or joining day; a resident saves at one waste bank once.',
          'nik',
        );
      }
      return existing;
    }
    if (!isActiveOn(bank.activePeriods, joinedAt)) {
      throw badUserInput('joinedOn', `a day on which waste bank ${wasteBankCode} was active`, isoDay(joinedAt));
    }
    const [created] = await Member.create([
      { nik, residentId: resident, name, wasteBankCode, kelurahanCode: bank.kelurahanCode, joinedAt, leftAt: null, balance: 0 },
    ]);
    unit.figuresChanged(bank.kelurahanCode, yearsFrom(joinedAt.getUTCFullYear()));
    // The NIK stays in this database: what the mutation answers with never carries it.
    const { nik: _kept, ...member } = created.toObject() as MemberDoc & { nik?: string };
    return member as MemberDoc;
  });
}
