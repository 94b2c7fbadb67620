// Java printf conversions the tools' output relies on: `%-Ns` (left-aligned, padded to N), `%Ns`,
// and `%.Nf` with Java's HALF_UP rounding.

/** `%-Ns`: left-aligned in a field of at least `width` characters. */
export const left = (s: string | number | bigint, width: number): string => String(s).padEnd(width)

/** `%Ns`: right-aligned in a field of at least `width` characters. */
export const right = (s: string | number | bigint, width: number): string => String(s).padStart(width)

/** `%.Nf` as Java formats it (HALF_UP on the decimal value; NaN and Infinity spelled Java's way). */
export function fixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  // toFixed rounds the binary value; nudging by a relative epsilon gives the decimal HALF_UP result
  // for values printed with few digits, which is all these tools print.
  const nudge = x === 0 ? 0 : Math.sign(x) * Math.abs(x) * Number.EPSILON * 4
  return (x + nudge).toFixed(digits)
}
