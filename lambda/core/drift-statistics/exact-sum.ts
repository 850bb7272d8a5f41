/**
 * Exact sums of doubles. Every finite double is a whole number of 2^-1074 (the smallest positive double), so a
 * sum kept as that whole number is exact: adding in any order, or merging partial sums from any split of the
 * values, gives the same figure, which a floating-point sum does not (it rounds differently per order).
 *
 * An exact sum travels as text: a signed hexadecimal count of 2^-1074 units, `0x0`, `0x1f8`, `-0x3`.
 */

/** A sum as exchanged: a signed hexadecimal count of 2^-1074. */
export type ExactSum = string;

/** The longest magnitude a sum may have: 2^1024 * 2^1074 units per value, for 2^53 values, is 2^2151. */
const MAX_HEX_DIGITS = 540;
const EXACT_SUM = new RegExp(`^-?0x(?:0|[1-9a-f][0-9a-f]{0,${MAX_HEX_DIGITS - 1}})$`);

const scratch = new DataView(new ArrayBuffer(8));
const MANTISSA_MASK = (1n << 52n) - 1n;
const HIDDEN_BIT = 1n << 52n;

/** `value` (a finite double) as a whole number of 2^-1074; -0 is 0. */
export function toUnits(value: number): bigint {
  scratch.setFloat64(0, value);
  const bits = scratch.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & MANTISSA_MASK;
  // A subnormal is mantissa * 2^-1074; a normal double is (2^52 + mantissa) * 2^(exponent - 1075).
  const units = exponent === 0 ? mantissa : (HIDDEN_BIT | mantissa) << BigInt(exponent - 1);
  return negative ? -units : units;
}

export function formatSum(units: bigint): ExactSum {
  return units < 0n ? `-0x${(-units).toString(16)}` : `0x${units.toString(16)}`;
}

/** Whether `text` is an exact sum as `formatSum` writes it (canonical: no leading zeros, no `-0x0`). */
export function isExactSum(text: string): boolean {
  return EXACT_SUM.test(text) && text !== '-0x0';
}

/** The units of a sum `isExactSum` accepted. */
export function parseSum(text: ExactSum): bigint {
  return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
}

/**
 * The double nearest to `units` * 2^-1074 (ties to even, as an IEEE sum of infinite precision would round),
 * or +-Infinity beyond the largest double.
 */
export function unitsToNumber(units: bigint): number {
  if (units === 0n) return 0;
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const bitLength = magnitude.toString(2).length;
  // Keep 64 significant bits plus a sticky bit for everything below them, so the one rounding to 53 bits
  // that Number() does is the correct one.
  const shift = Math.max(0, bitLength - 64);
  let top = magnitude >> BigInt(shift);
  if (shift > 0 && (top << BigInt(shift)) !== magnitude) top |= 1n;
  // Below 2^1074 units the result is subnormal and shift is 0: Number(top) is exact and one scaling rounds.
  // Beyond 2^1023 the power is Infinity and so is the sum, as it should be.
  const value = Number(top) * 2 ** (shift - 1074);
  return negative ? -value : value;
}
