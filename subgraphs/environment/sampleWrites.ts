import { randomUUID } from 'node:crypto';
import { addDays, isoDay, parseIsoDay, startOfKediriDay, todayInKediri } from '../kit/calendar';
import type { Random } from '../kit/random';
import { samplePopulation } from '../kit/residents';
import { accepted, pickRecord, type RandomWrite } from '../kit/testing';
import type { EnvironmentModels, MemberDoc, WasteBankDoc } from './models';
import { isActiveOn, isMemberOn, type ActivePeriod } from './rules';

/**
 * One random valid write of the environment agency, chosen among the sample's real records: register a
 * resident of the sample population at a waste bank on a day it was open (often someone who already saves
 * at another waste bank, which the distinct member counts must handle), record a weigh-in of a member on a
 * day both the membership and the waste bank were active (now and then in the first hour of a Kediri day,
 * where UTC still has the day before), or pay out part of a member's savings. Registrations and weigh-ins
 * move the environment figures of some kelurahan-years; payouts move balances only.
 */
const REGISTER = 'mutation($input: RegisterWasteBankMemberInput!) { registerWasteBankMember(input: $input) { id } }';
const DEPOSIT = 'mutation($input: RecordWasteDepositInput!) { recordWasteDeposit(input: $input) { id } }';
const WITHDRAW = 'mutation($input: RecordWithdrawalInput!) { recordWithdrawal(input: $input) { id } }';

const CATEGORIES = ['pet_bottle', 'pp_cup', 'hdpe', 'cardboard', 'paper', 'metal_can', 'glass'];
const KINDS = ['CASH', 'LEBARAN', 'GROCERIES'];

/** The price lists of the sample begin here: weigh-ins before it have no price. */
const FIRST_PRICED_DAY = parseIsoDay('2021-01-01')!;

/**
 * A random calendar day from `from` to `to` (both included) on which the waste bank was active and `also`
 * holds; undefined when a few tries find none.
 */
function dayWhen(random: Random, periods: readonly ActivePeriod[], from: Date, to: Date, also: (day: Date) => boolean = () => true): Date | undefined {
  const span = Math.floor((to.getTime() - from.getTime()) / 86_400_000);
  if (span < 0) return undefined;
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const day = addDays(from, random.int(0, span));
    if (isActiveOn(periods, day) && also(day)) return day;
  }
  return undefined;
}

function later(a: Date, b: Date): Date {
  return a.getTime() > b.getTime() ? a : b;
}

export const randomWrites: RandomWrite<EnvironmentModels> = async (random, { query, models }) => {
  const choice = random.weighted([['register', 1], ['withdraw', 1], ['deposit', 2]] as const);
  const index = random.int(0, 1_000_000);
  const today = todayInKediri();

  if (choice === 'withdraw') {
    const saver = await pickRecord<MemberDoc>(models.Member, { balance: { $gte: 1_000 } }, index);
    if (saver) {
      const amount = random.int(1, Math.min(saver.balance, 250_000));
      const input = { memberId: String(saver._id), amount, kind: random.pick(KINDS), idempotencyKey: `sample-${randomUUID()}` };
      return accepted(await query(WITHDRAW, { input }), `withdrew Rp${amount} for a member in ${saver.kelurahanCode}`);
    }
  }

  if (choice === 'register') {
    const bank = await pickRecord<WasteBankDoc>(models.WasteBank, {}, index);
    const joinedOn = bank && dayWhen(random, bank.activePeriods, later(bank.establishedAt, FIRST_PRICED_DAY), today);
    if (bank && joinedOn) {
      const neighbours = samplePopulation().filter((person) => person.kelurahanCode === bank.kelurahanCode);
      for (let attempt = 0; attempt < 20; attempt += 1) {
        const person = random.pick(neighbours);
        if (await models.Member.exists({ wasteBankCode: bank.code, nik: person.nik })) continue;
        const input = { nik: person.nik, name: person.name, wasteBankCode: bank.code, joinedOn: isoDay(joinedOn) };
        return accepted(await query(REGISTER, { input }), `registered a member at ${bank.code} from ${isoDay(joinedOn)}`);
      }
    }
  }

  // A weigh-in: a member and a day, before today, on which the membership and the waste bank were active.
  // Now and then it is the first hour of a Kediri day, when UTC still has the day before, and now and then
  // that day is 1 January: a weigh-in of Kediri's new year that UTC would count in the old one.
  const newYearsDay = random.chance(0.2) ? parseIsoDay(`${random.int(2022, today.getUTCFullYear())}-01-01`)! : undefined;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const member = await pickRecord<MemberDoc>(models.Member, {}, index + attempt * 7_919);
    if (!member) throw new Error('the sample has no waste bank member');
    const bank = await models.WasteBank.findOne({ code: member.wasteBankCode }).lean<WasteBankDoc>();
    const open = (d: Date) => isMemberOn(member.joinedAt, member.leftAt, d);
    const from = later(member.joinedAt, FIRST_PRICED_DAY);
    const day =
      newYearsDay && bank && newYearsDay.getTime() >= from.getTime() && isActiveOn(bank.activePeriods, newYearsDay) && open(newYearsDay)
        ? newYearsDay
        : bank && dayWhen(random, bank.activePeriods, from, addDays(today, -1), open);
    if (!day) continue;
    const minutes = day === newYearsDay || random.chance(0.15) ? random.int(0, 59) : random.int(8 * 60, 16 * 60);
    const depositedAt = new Date(startOfKediriDay(day).getTime() + minutes * 60_000);
    const lines = random
      .shuffle(CATEGORIES)
      .slice(0, random.int(1, 4))
      .map((category) => ({ category, kg: random.int(1, 15_000) / 1000 }));
    const input = { memberId: String(member._id), depositedAt: depositedAt.toISOString(), lines, idempotencyKey: `sample-${randomUUID()}` };
    return accepted(await query(DEPOSIT, { input }), `deposited ${lines.length} line(s) on ${isoDay(day)} in ${member.kelurahanCode}`);
  }
  return 'no member with a day open for a weigh-in';
};
