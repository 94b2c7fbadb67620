// TypeScript types, default-value literals and "is this the default?" tests for fields.

import { ENTITY_TYPES } from './load.ts'
import type { DefaultValue, FieldSpec, Prim, StructSpec } from './model.ts'
import { str } from './names.ts'
import { isEmpty } from './versions.ts'

/** Names a generated file may need from outside; emitters record what they use. */
export class Imports {
  readonly ids = new Set<string>()
  readonly writer = new Set<string>()
  encodeError = false
  taggedHelpers = false
  empty = false
}

export function primTs(p: Prim, entity: string | null, imp: Imports): string {
  if (entity !== null) {
    const ts = ENTITY_TYPES[entity].ts
    imp.ids.add(ts)
    return ts
  }
  switch (p) {
    case 'bool':
      return 'boolean'
    case 'int64':
      return 'bigint'
    case 'string':
      return 'string'
    case 'uuid':
      imp.ids.add('Uuid')
      return 'Uuid'
    case 'bytes':
    case 'records':
      return 'Buffer'
    default:
      return 'number'
  }
}

/** Whether a value of this field may be null in some version (or by default). */
export function fieldNullable(f: FieldSpec): boolean {
  return !isEmpty(f.nullable) || f.default === null
}

export function fieldTs(f: FieldSpec, imp: Imports): string {
  let base: string
  const t = f.type
  if (t.kind === 'prim') base = primTs(t.prim, f.entityType, imp)
  else if (t.kind === 'struct') base = t.struct.tsName
  else if (typeof t.elem === 'string') base = `${primTs(t.elem, f.entityType, imp)}[]`
  else base = `${t.elem.tsName}[]`
  return fieldNullable(f) ? `${base} | null` : base
}

/** A literal for a primitive default, cast to the branded type when there is one. */
function primLiteral(p: Prim, d: DefaultValue, entity: string | null, imp: Imports): string {
  let lit: string
  if (d === null) return 'null'
  if (p === 'bytes' || p === 'records') {
    imp.empty = true
    return 'EMPTY'
  }
  if (typeof d === 'bigint') lit = `${d}n`
  else if (typeof d === 'string') lit = str(d)
  else if (typeof d === 'number') lit = Object.is(d, -0) ? '-0' : Number.isNaN(d) ? 'Number.NaN' : String(d)
  else lit = String(d)
  if (p === 'uuid') {
    imp.ids.add('Uuid')
    return `${lit} as Uuid`
  }
  if (entity !== null) return `${lit} as ${primTs(p, entity, imp)}`
  return lit
}

/** An expression producing the field's default value (a fresh object or array where mutable). */
export function defaultExpr(f: FieldSpec, imp: Imports): string {
  const t = f.type
  if (f.default === null) return 'null'
  if (t.kind === 'prim') return primLiteral(t.prim, f.default, f.entityType, imp)
  if (t.kind === 'array') return '[]'
  return `default${t.struct.tsName}()`
}

/** A condition that is true when `e` (an expression of the field's type) differs from the default. */
export function nonDefaultCond(f: FieldSpec, e: string): string {
  const t = f.type
  const d = f.default
  if (d === null) return `${e} !== null`
  const nullable = fieldNullable(f)
  const orNull = (cond: string) => (nullable ? `(${e} === null || ${cond})` : cond)
  if (t.kind === 'array') return orNull(`${e}.length !== 0`)
  if (t.kind === 'struct') return orNull(`!isDefault${t.struct.tsName}(${e})`)
  switch (t.prim) {
    case 'bytes':
    case 'records':
      return orNull(`${e}.length !== 0`)
    case 'int64':
      return `${e} !== ${d}n`
    case 'string':
    case 'uuid':
      return `${e} !== ${str(d as string)}`
    default:
      return `${e} !== ${String(d)}`
  }
}

/** Structs that need an isDefault function: used as a (non-array) struct field anywhere. */
export function structsNeedingIsDefault(structs: readonly StructSpec[]): Set<StructSpec> {
  const out = new Set<StructSpec>()
  const add = (s: StructSpec): void => {
    if (out.has(s)) return
    out.add(s)
    for (const f of s.fields) if (f.type.kind === 'struct' && f.default !== null) add(f.type.struct)
  }
  for (const s of structs)
    for (const f of s.fields) if (f.type.kind === 'struct' && f.default !== null) add(f.type.struct)
  return out
}
