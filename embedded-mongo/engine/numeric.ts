import { Decimal128, Long } from 'bson';

/**
 * Exact numbers across BSON's four numeric types. MongoDB compares int32, int64, double and decimal128 by
 * value, and `$inc`/`$sum` on a decimal must not lose cents, so every numeric value can be turned into an
 * exact decimal `coef × 10^exp` held in BigInts. JS numbers (int32 and double) stay on the fast path wherever
 * both sides are plain numbers; the exact form is only built when a Long or a Decimal128 is involved.
 */
export interface Exact {
  kind: 'finite';
  coef: bigint;
  exp: number;
}
export type ExactNumber = Exact | { kind: 'nan' } | { kind: 'inf'; negative: boolean };

/** MongoDB's numeric result types, in the order in which mixing promotes them. */
type NumericType = 'int' | 'long' | 'double' | 'decimal';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL128_DIGITS = 34;

export function isLong(value: unknown): value is Long {
  return typeof value === 'object' && value !== null && (value as { _bsontype?: string })._bsontype === 'Long';
}

export function isDecimal128(value: unknown): value is Decimal128 {
  return typeof value === 'object' && value !== null && (value as { _bsontype?: string })._bsontype === 'Decimal128';
}

/** Int32 and Double wrappers only appear when a caller deserialized with promoteValues off; they are numbers too. */
function isWrappedNumber(value: unknown): value is { valueOf(): number } {
  const type = typeof value === 'object' && value !== null ? (value as { _bsontype?: string })._bsontype : undefined;
  return type === 'Int32' || type === 'Double';
}

export function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || isLong(value) || isDecimal128(value) || isWrappedNumber(value);
}

function numericType(value: unknown): NumericType {
  if (isDecimal128(value)) return 'decimal';
  if (isLong(value)) return 'long';
  const n = Number(value);
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? 'int' : 'double';
}

function normalize(coef: bigint, exp: number): Exact {
  if (coef === 0n) return { kind: 'finite', coef: 0n, exp: 0 };
  while (coef % 10n === 0n) {
    coef /= 10n;
    exp += 1;
  }
  return { kind: 'finite', coef, exp };
}

/** The exact binary value of a double, expanded into decimal: m × 2^e = m × 5^-e × 10^e for e < 0. */
function exactDouble(n: number): ExactNumber {
  if (Number.isNaN(n)) return { kind: 'nan' };
  if (!Number.isFinite(n)) return { kind: 'inf', negative: n < 0 };
  if (Number.isSafeInteger(n)) return normalize(BigInt(n), 0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biasedExponent === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biasedExponent - 1075;
  }
  if (negative) mantissa = -mantissa;
  if (exponent >= 0) return normalize(mantissa << BigInt(exponent), 0);
  return normalize(mantissa * 5n ** BigInt(-exponent), exponent);
}

/** Parses Decimal128's own string form ("10.20", "1.0E+3", "-0", "NaN", "-Infinity"). */
function parseDecimalString(text: string): ExactNumber {
  if (text === 'NaN') return { kind: 'nan' };
  if (text === 'Infinity' || text === '-Infinity') return { kind: 'inf', negative: text.startsWith('-') };
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) throw new Error(`Expected a decimal number, got "${text}"`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}` || '0';
  const coef = BigInt(digits) * (sign === '-' ? -1n : 1n);
  // Not normalized: arithmetic keeps the operands' exponent, so 10.10 + 0.10 gives 10.20 as in MongoDB.
  return { kind: 'finite', coef, exp: Number(exponent) - fraction.length };
}

/**
 * Exact value of any numeric BSON value. `doubleAsDecimal` reads a double by its shortest decimal form
 * (0.1 stays 0.1) as MongoDB does when a double meets a decimal in arithmetic; comparisons use the exact
 * binary value instead.
 */
export function toExact(value: unknown, doubleAsDecimal = false): ExactNumber {
  if (isDecimal128(value)) return parseDecimalString(value.toString());
  if (isLong(value)) return normalize(BigInt(value.toString()), 0);
  const n = Number(value);
  if (doubleAsDecimal && Number.isFinite(n) && !Number.isInteger(n)) return parseDecimalString(String(n));
  return exactDouble(n);
}

function alignedCoefficients(a: Exact, b: Exact): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.coef * 10n ** BigInt(a.exp - exp), b.coef * 10n ** BigInt(b.exp - exp), exp];
}

/** Orders NaN below every number, as MongoDB sorts it. */
function rank(x: ExactNumber): number {
  if (x.kind === 'nan') return 0;
  if (x.kind === 'inf') return x.negative ? 1 : 3;
  return 2;
}

export function compareExact(a: ExactNumber, b: ExactNumber): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || a.kind !== 'finite' || b.kind !== 'finite') return Math.sign(ra - rb);
  const [ca, cb] = alignedCoefficients(a, b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/** Compares two numeric BSON values by value; the JS-number case stays native. */
export function compareNumbers(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return compareExact(toExact(a), toExact(b));
}

/** A string that is the same for numerically equal values of any numeric type (5, Long 5, Decimal 5.00). */
export function numberKey(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value === 0 ? '0' : String(value);
  const raw = toExact(value);
  if (raw.kind === 'nan') return 'NaN';
  if (raw.kind === 'inf') return raw.negative ? '-Inf' : 'Inf';
  const exact = normalize(raw.coef, raw.exp);
  // Integers print in full (so Long 100 and the number 100 share a key); the rest as coefficient and exponent.
  if (exact.exp >= 0 && exact.exp <= 30) return (exact.coef * 10n ** BigInt(exact.exp)).toString();
  return `${exact.coef}e${exact.exp}`;
}

/** Rounds a coefficient to Decimal128's 34 significant digits, half to even, as IEEE 754 decimal does. */
function roundToDecimal128(x: Exact): Exact {
  let { coef, exp } = x;
  const negative = coef < 0n;
  let magnitude = negative ? -coef : coef;
  while (magnitude.toString().length > DECIMAL128_DIGITS) {
    const remainder = magnitude % 10n;
    magnitude /= 10n;
    exp += 1;
    if (remainder > 5n || (remainder === 5n && magnitude % 2n === 1n)) magnitude += 1n;
  }
  coef = negative ? -magnitude : magnitude;
  return { kind: 'finite', coef, exp };
}

function exactToDecimal128(x: ExactNumber): Decimal128 {
  if (x.kind === 'nan') return Decimal128.fromString('NaN');
  if (x.kind === 'inf') return Decimal128.fromString(x.negative ? '-Infinity' : 'Infinity');
  const rounded = roundToDecimal128(x);
  return Decimal128.fromString(`${rounded.coef}E${rounded.exp}`);
}

function exactToNumber(x: ExactNumber): number {
  if (x.kind === 'nan') return NaN;
  if (x.kind === 'inf') return x.negative ? -Infinity : Infinity;
  return Number(`${x.coef}e${x.exp}`);
}

function resultType(a: unknown, b: unknown): NumericType {
  const order: NumericType[] = ['int', 'long', 'double', 'decimal'];
  return order[Math.max(order.indexOf(numericType(a)), order.indexOf(numericType(b)))];
}

/** Keeps an integer result in MongoDB's type: int32 while it fits, then int64 (as MongoDB promotes on overflow). */
function integerResult(value: bigint, type: 'int' | 'long'): unknown {
  if (value < INT64_MIN || value > INT64_MAX) return Number(value);
  if (type === 'int' && value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return Number(value);
  return Long.fromBigInt(value);
}

function arithmetic(a: unknown, b: unknown, operation: 'add' | 'multiply'): unknown {
  const type = resultType(a, b);
  if (type === 'double') {
    const x = Number(a);
    const y = Number(b);
    return operation === 'add' ? x + y : x * y;
  }
  if (type === 'int' || type === 'long') {
    const x = BigInt(isLong(a) ? a.toString() : Number(a));
    const y = BigInt(isLong(b) ? b.toString() : Number(b));
    return integerResult(operation === 'add' ? x + y : x * y, type);
  }
  const x = toExact(a, true);
  const y = toExact(b, true);
  if (x.kind !== 'finite' || y.kind !== 'finite') {
    return exactToDecimal128(toExact(operation === 'add' ? exactToNumber(x) + exactToNumber(y) : exactToNumber(x) * exactToNumber(y)));
  }
  if (operation === 'multiply') return exactToDecimal128({ kind: 'finite', coef: x.coef * y.coef, exp: x.exp + y.exp });
  const [cx, cy, exp] = alignedCoefficients(x, y);
  return exactToDecimal128({ kind: 'finite', coef: cx + cy, exp });
}

/** `a + b` with MongoDB's type rules: decimal beats double beats long beats int; decimals are exact. */
export function addNumbers(a: unknown, b: unknown): unknown {
  return arithmetic(a, b, 'add');
}

/** `a × b` with the same type rules as addNumbers. */
export function multiplyNumbers(a: unknown, b: unknown): unknown {
  return arithmetic(a, b, 'multiply');
}

/** A JS number for display or for double arithmetic (e.g. $avg over mixed types). */
export function toJsNumber(value: unknown): number {
  if (isLong(value)) return value.toNumber();
  if (isDecimal128(value)) return exactToNumber(toExact(value));
  return Number(value);
}
