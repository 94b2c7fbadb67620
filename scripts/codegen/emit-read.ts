// Emits `read<Struct>(r, v)`: straight-line decoding with version checks grouped per run of
// fields that share them. Fields absent in a version keep their default. Tagged fields are read
// in a switch over the tag, each bounded by its size; unknown tags are skipped.

import type { Code } from './code.ts'
import {
  and,
  choose,
  fieldFlexCond,
  flexRef,
  groupBy,
  inOrderRange,
  nullCond,
  type StructCtx,
  taggedFields,
  taggedRange,
} from './emit-common.ts'
import type { FieldSpec, Prim } from './model.ts'
import { localName, str } from './names.ts'
import { defaultExpr, fieldTs, type Imports, primTs } from './ts-types.ts'
import { intersect, type Range, versionCond } from './versions.ts'

const SIMPLE_READ: Partial<Record<Prim, string>> = {
  bool: 'r.bool()',
  int8: 'r.int8()',
  int16: 'r.int16()',
  uint16: 'r.uint16()',
  int32: 'r.int32()',
  uint32: 'r.uint32()',
  int64: 'r.int64()',
  float64: 'r.float64()',
  uuid: 'r.uuid()',
}

/** Expression reading one primitive value. */
function primRead(p: Prim, flexC: string, nullC: string): string {
  const simple = SIMPLE_READ[p]
  if (simple !== undefined) return simple
  const kind = p === 'string' ? 'String' : 'Bytes'
  return choose(
    flexC,
    choose(nullC, `r.compactNullable${kind}()`, `r.compact${kind}()`),
    choose(nullC, `r.nullable${kind}()`, `r.${kind.toLowerCase()}()`),
  )
}

function cast(expr: string, ts: string | null): string {
  if (ts === null) return expr
  return expr.includes('?') ? `(${expr}) as ${ts}` : `${expr} as ${ts}`
}

/** An expression reading a primitive or struct field, or null for arrays (which need statements). */
function readExpr(ctx: StructCtx, f: FieldSpec, within: Range, imp: Imports, tagged = false): string | null {
  const t = f.type
  if (t.kind === 'prim') {
    const expr = primRead(t.prim, fieldFlexCond(ctx, f, within), nullCond(f, within))
    return cast(expr, f.entityType === null ? null : fieldTs(f, imp))
  }
  if (t.kind === 'struct') {
    const read = `read${t.struct.tsName}(r, v)`
    const nullC = nullCond(f, within)
    // A nullable struct starts with a marker: int8 -1/1 in order, unsigned varint 0/1 when tagged.
    const marker = tagged ? 'r.uvarint() === 0' : 'r.int8() < 0'
    return nullC === 'false' ? read : `${and(nullC, marker)} ? null : ${read}`
  }
  return null
}

/** Statements that read array field `f` into local `target`, valid for versions in `within`. */
function emitArrayRead(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  target: string,
  within: Range,
  imp: Imports,
  unassigned = false,
): void {
  const t = f.type
  if (t.kind !== 'array') throw new Error('not an array')
  const flexC = fieldFlexCond(ctx, f, within)
  const nullC = nullCond(f, within)
  const elemTs = typeof t.elem === 'string' ? primTs(t.elem, f.entityType, imp) : t.elem.tsName
  const elemRead =
    typeof t.elem === 'string'
      ? cast(primRead(t.elem, flexC, 'false'), f.entityType === null ? null : elemTs)
      : `read${t.elem.tsName}(r, v)`
  code.open('')
  code.line(`const _n = ${choose(flexC, 'r.compactArrayLength()', 'r.arrayLength()')}`)
  const fail = `r.fail(${str(`${ctx.msg.name}: null in non-nullable array ${f.prop}`)})`
  // When the local has no initializer (so no array is allocated only to be replaced), the
  // failure path must still assign it.
  const failThenElse = (head: string) => {
    if (!unassigned) {
      code.line(`${head} ${fail}`)
      code.open('else')
      return
    }
    code.open(head)
    code.line(fail)
    code.line(`${target} = ${defaultExpr(f, imp)}`)
    code.reopen('else')
  }
  if (nullC === 'true') {
    code.line(`if (_n < 0) ${target} = null`)
    code.open('else')
  } else if (nullC === 'false') failThenElse('if (_n < 0)')
  else {
    code.line(`if (_n < 0 && ${nullC}) ${target} = null`)
    failThenElse('else if (_n < 0)')
  }
  code.line(`const _a: ${elemTs}[] = []`)
  // Stop at the first error: a hostile count then costs no more than the bytes actually present.
  code.line(`for (let _i = 0; _i < _n && r.error === null; _i++) _a.push(${elemRead})`)
  code.line(`${target} = _a`)
  code.close()
  code.close()
}

function emitReadInto(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  target: string,
  within: Range,
  imp: Imports,
  tagged = false,
): void {
  const e = readExpr(ctx, f, within, imp, tagged)
  if (e !== null) code.line(`${target} = ${e}`)
  else emitArrayRead(code, ctx, f, target, within, imp)
}

export function emitRead(code: Code, ctx: StructCtx, imp: Imports): void {
  const s = ctx.struct
  code.open(`function read${s.tsName}(r: Reader, v: number): ${s.tsName}`)
  if (flexRef(ctx) === '_flex') code.line(`const _flex = ${ctx.flexCond}`)
  const locals = new Map(s.fields.map((f) => [f, localName(f.prop)]))
  const decl = (f: FieldSpec) => `let ${locals.get(f)}: ${fieldTs(f, imp)} = ${defaultExpr(f, imp)}`

  // In-order fields, grouped by their version condition.
  for (const g of groupBy(s.fields, (f) => versionCond(inOrderRange(ctx, f), ctx.range))) {
    if (g.key === 'true') {
      for (const f of g.items) {
        const e = readExpr(ctx, f, inOrderRange(ctx, f), imp)
        if (e !== null) code.line(`const ${locals.get(f)}: ${fieldTs(f, imp)} = ${e}`)
        else {
          code.line(`let ${locals.get(f)}: ${fieldTs(f, imp)}`)
          emitArrayRead(code, ctx, f, locals.get(f)!, inOrderRange(ctx, f), imp, true)
        }
      }
      continue
    }
    for (const f of g.items) code.line(decl(f))
    if (g.key === 'false') continue
    code.open(`if (${g.key})`)
    for (const f of g.items) emitReadInto(code, ctx, f, locals.get(f)!, inOrderRange(ctx, f), imp)
    code.close()
  }

  // Tagged section.
  if (ctx.flexCond !== 'false') {
    const tagged = taggedFields(ctx)
    const flex = flexRef(ctx)
    if (tagged.length === 0) {
      code.line(flex === 'true' ? 'r.skipTaggedFields()' : `if (${flex}) r.skipTaggedFields()`)
    } else {
      imp.taggedHelpers = true
      if (flex !== 'true') code.open(`if (${flex})`)
      code.line('const _count = r.uvarint()')
      code.open('for (let _t = 0; _t < _count && r.error === null; _t++)')
      code.line('const _tag = r.uvarint()')
      code.line('const _size = r.uvarint()')
      code.open('switch (_tag)')
      const flexRange = intersect(ctx.range, ctx.msg.flexible)
      for (const f of tagged) {
        const within = taggedRange(ctx, f)
        const cond = versionCond(within, flexRange)
        code.open(`case ${f.tag}:`)
        if (cond !== 'true') code.open(`if (${cond})`)
        code.line('const _end = enterTagged(r, _size)')
        emitReadInto(code, ctx, f, locals.get(f)!, within, imp, true)
        code.line('leaveTagged(r, _end)')
        if (cond !== 'true') code.close('} else r.skip(_size)')
        code.line('break')
        code.close()
      }
      code.line('default:')
      code.line('  r.skip(_size)')
      code.close()
      code.close()
      if (flex !== 'true') code.close()
    }
  }

  const props = s.fields.map((f) => (locals.get(f) === f.prop ? f.prop : `${f.prop}: ${locals.get(f)}`))
  const one = `return { ${props.join(', ')} }`
  if (one.length <= 100) code.line(one)
  else {
    code.line('return {')
    for (const p of props) code.line(`  ${p},`)
    code.line('}')
  }
  code.close()
}
