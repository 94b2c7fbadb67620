// Shared pieces of the read/size/write emitters: version conditions in a struct's context, and
// how each field is laid out in each version.

import type { FieldSpec, MessageSpec, StructSpec } from './model.ts'
import { contains, intersect, isEmpty, minusOpen, type Range, versionCond } from './versions.ts'

/** What an emitter knows while generating one struct function. */
export interface StructCtx {
  readonly msg: MessageSpec
  readonly struct: StructSpec
  /** Versions in which this function can run. */
  readonly range: Range
  /** Condition for "this struct is flexible" in `range` ('true'/'false' when constant). */
  readonly flexCond: string
}

export function structCtx(msg: MessageSpec, struct: StructSpec): StructCtx {
  const range = intersect(struct.range, msg.valid)
  return { msg, struct, range, flexCond: versionCond(msg.flexible, range) }
}

/** Name of the hoisted flexible flag, or the constant. */
export function flexRef(ctx: StructCtx): string {
  return ctx.flexCond === 'true' || ctx.flexCond === 'false' ? ctx.flexCond : '_flex'
}

/** Versions (within the struct's range) in which the field is written in order, not tagged. */
export function inOrderRange(ctx: StructCtx, f: FieldSpec): Range {
  return intersect(minusOpen(f.versions, f.tagged), ctx.range)
}

/** Versions (within the struct's range) in which the field travels as a tagged field. */
export function taggedRange(ctx: StructCtx, f: FieldSpec): Range {
  return intersect(intersect(f.tagged, ctx.range), ctx.msg.flexible)
}

/** Condition, valid inside `within`, for "this field uses compact encodings". */
export function fieldFlexCond(ctx: StructCtx, f: FieldSpec, within: Range): string {
  const c = versionCond(f.flexible, within)
  if (c === 'true' || c === 'false') return c
  const sameAsStruct =
    f.flexible.lo === ctx.msg.flexible.lo && f.flexible.hi === ctx.msg.flexible.hi && ctx.flexCond !== 'true'
  return sameAsStruct ? '_flex' : c
}

/** Condition, valid inside `within`, for "null is allowed on the wire". */
export function nullCond(f: FieldSpec, within: Range): string {
  return versionCond(f.nullable, within)
}

/** `c ? a : b`, folded when `c` is constant. */
export function choose(c: string, a: string, b: string): string {
  if (c === 'true') return a
  if (c === 'false') return b
  return `${c} ? ${a} : ${b}`
}

/** Logical negation of a condition produced by versionCond. */
export function negate(c: string): string {
  if (c === 'true') return 'false'
  if (c === 'false') return 'true'
  let m = /^v >= (\d+)$/.exec(c)
  if (m) return `v < ${m[1]}`
  m = /^v <= (\d+)$/.exec(c)
  if (m) return `v > ${m[1]}`
  m = /^v === (\d+)$/.exec(c)
  if (m) return `v !== ${m[1]}`
  m = /^v >= (\d+) && v <= (\d+)$/.exec(c)
  if (m) return `v < ${m[1]} || v > ${m[2]}`
  return `!(${c})`
}

/** `a && b` for conditions, folding constants; parenthesizes `||` operands. */
export function and(a: string, b: string): string {
  if (a === 'false' || b === 'false') return 'false'
  if (a === 'true') return b
  if (b === 'true') return a
  const p = (x: string) => (x.includes('||') && !isWrapped(x) ? `(${x})` : x)
  return `${p(a)} && ${p(b)}`
}

/** Whether the whole expression is one parenthesized group. */
function isWrapped(x: string): boolean {
  if (!x.startsWith('(') || !x.endsWith(')')) return false
  let depth = 0
  for (let i = 0; i < x.length; i++) {
    if (x[i] === '(') depth++
    else if (x[i] === ')' && --depth === 0 && i < x.length - 1) return false
  }
  return true
}

/** Whether the field is absent (neither in order nor tagged) somewhere in the struct's range. */
export function absentCond(ctx: StructCtx, f: FieldSpec): string {
  if (contains(f.versions, ctx.range)) return 'false'
  if (isEmpty(intersect(f.versions, ctx.range))) return 'true'
  return negate(versionCond(f.versions, ctx.range))
}

/** Fields in their tagged versions, sorted by tag. */
export function taggedFields(ctx: StructCtx): FieldSpec[] {
  return ctx.struct.fields.filter((f) => !isEmpty(taggedRange(ctx, f))).sort((a, b) => a.tag - b.tag)
}

/** Groups consecutive items that share a key, keeping order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): { key: string; items: T[] }[] {
  const out: { key: string; items: T[] }[] = []
  for (const it of items) {
    const k = key(it)
    const last = out[out.length - 1]
    if (last !== undefined && last.key === k) last.items.push(it)
    else out.push({ key: k, items: [it] })
  }
  return out
}
