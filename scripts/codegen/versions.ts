// Version ranges as the schemas write them: "3", "3+", "0-7", "none". `hi` is Infinity for an
// open-ended range; an empty range has lo > hi.

export interface Range {
  readonly lo: number
  readonly hi: number
}

export const NONE: Range = { lo: 1, hi: 0 }
export const ALL: Range = { lo: 0, hi: Number.POSITIVE_INFINITY }

export function parseRange(spec: unknown, what: string): Range {
  if (typeof spec === 'number') return { lo: spec, hi: spec }
  if (typeof spec !== 'string') throw new Error(`${what}: bad version range ${JSON.stringify(spec)}`)
  const s = spec.trim()
  if (s === 'none') return NONE
  let m = /^(\d+)\+$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number.POSITIVE_INFINITY }
  m = /^(\d+)-(\d+)$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) }
  m = /^(\d+)$/.exec(s)
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) }
  throw new Error(`${what}: bad version range ${JSON.stringify(spec)}`)
}

export function isEmpty(r: Range): boolean {
  return r.lo > r.hi
}

export function intersect(a: Range, b: Range): Range {
  const r = { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) }
  return isEmpty(r) ? NONE : r
}

/** The smallest range holding both (a hull, not a union: fine for simplifying conditions). */
export function hull(a: Range, b: Range): Range {
  if (isEmpty(a)) return b
  if (isEmpty(b)) return a
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) }
}

export function contains(outer: Range, inner: Range): boolean {
  return isEmpty(inner) || (outer.lo <= inner.lo && inner.hi <= outer.hi)
}

export function has(r: Range, v: number): boolean {
  return r.lo <= v && v <= r.hi
}

/** Versions of `a` not in `b`, where `b` is open-ended (tagged versions always are). */
export function minusOpen(a: Range, b: Range): Range {
  if (isEmpty(b)) return a
  if (b.hi !== Number.POSITIVE_INFINITY) throw new Error('taggedVersions must be open-ended')
  return intersect(a, { lo: 0, hi: b.lo - 1 })
}

export function formatRange(r: Range): string {
  if (isEmpty(r)) return 'none'
  if (r.hi === Number.POSITIVE_INFINITY) return `${r.lo}+`
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`
}

/**
 * A JS condition on `v` that is true exactly for the versions of `r`, given that `v` is known to
 * lie in `ctx`. Returns 'true'/'false' when the answer does not depend on `v`.
 */
export function versionCond(r: Range, ctx: Range): string {
  const eff = intersect(r, ctx)
  if (isEmpty(eff)) return 'false'
  if (contains(eff, ctx)) return 'true'
  const parts: string[] = []
  if (eff.lo > ctx.lo) parts.push(`v >= ${eff.lo}`)
  if (eff.hi < ctx.hi) parts.push(`v <= ${eff.hi}`)
  if (parts.length === 2 && eff.lo === eff.hi) return `v === ${eff.lo}`
  return parts.join(' && ')
}
