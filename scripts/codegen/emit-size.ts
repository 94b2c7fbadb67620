// Emits `size<Struct>(m, v, s)`: the exact encoded size, with fixed-width fields folded into
// constants. It also validates what cannot be encoded, because it always runs before write():
// null where the version does not allow it, and a non-default value in a field the version
// lacks unless the field is ignorable (Kafka's generated Java refuses both the same way).

import { Code } from './code.ts'
import {
  absentCond,
  and,
  choose,
  fieldFlexCond,
  flexRef,
  groupBy,
  inOrderRange,
  negate,
  nullCond,
  type StructCtx,
  taggedFields,
  taggedRange,
} from './emit-common.ts'
import { FIXED_SIZE, type FieldSpec } from './model.ts'
import { fieldNullable, type Imports, nonDefaultCond } from './ts-types.ts'
import { intersect, type Range, versionCond } from './versions.ts'

export function uvarintLen(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** Fixed wire size of a field, or null when it depends on the value. */
function fixedSize(f: FieldSpec): number | null {
  return f.type.kind === 'prim' ? (FIXED_SIZE[f.type.prim] ?? null) : null
}

function encodeError(code: Code, ctx: StructCtx, cond: string, what: string, imp: Imports): void {
  imp.encodeError = true
  code.line(`if (${cond}) throw new EncodeError(\`${ctx.struct.tsName} v\${v}: ${what}\`)`)
}

/** Throws when the field holds null in a version that does not allow it. */
function emitNullCheck(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  e: string,
  within: Range,
  imp: Imports,
): void {
  if (!fieldNullable(f)) return
  const nc = nullCond(f, within)
  if (nc === 'true') return
  const cond = and(`${e} === null`, negate(nc))
  encodeError(code, ctx, cond, `${f.prop} must not be null in this version`, imp)
}

/** Statements adding the variable part of field `f`'s size (value `e`) to `t`. */
export function emitVarSize(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  e: string,
  t: string,
  within: Range,
  imp: Imports,
  splice = 's',
): void {
  const flexC = fieldFlexCond(ctx, f, within)
  const ty = f.type
  if (ty.kind === 'prim') {
    switch (ty.prim) {
      case 'string':
        imp.writer.add(flexC === 'false' ? 'stringSize' : 'compactStringSize')
        if (flexC !== 'true' && flexC !== 'false') imp.writer.add('stringSize')
        code.line(`${t} += ${choose(flexC, `compactStringSize(${e})`, `stringSize(${e})`)}`)
        return
      case 'bytes':
        imp.writer.add(flexC === 'false' ? 'bytesSize' : 'compactBytesSize')
        if (flexC !== 'true' && flexC !== 'false') imp.writer.add('bytesSize')
        code.line(`${t} += ${choose(flexC, `compactBytesSize(${e})`, `bytesSize(${e})`)}`)
        return
      case 'records':
        imp.writer.add('recordsSize')
        code.line(`${t} += recordsSize(${e}, ${flexC}, ${splice})`)
        return
      default:
        code.line(`${t} += ${FIXED_SIZE[ty.prim]}`)
        return
    }
  }
  if (ty.kind === 'struct') {
    const size = (x: string) => `size${ty.struct.tsName}(${x}, v, ${splice})`
    const nc = nullCond(f, within)
    if (nc === 'false') code.line(`${t} += ${size(fieldNullable(f) ? `${e}!` : e)}`)
    else if (nc === 'true') code.line(`${t} += ${e} === null ? 1 : 1 + ${size(e)}`)
    else code.line(`${t} += ${e} === null ? 1 : ${size(e)} + (${nc} ? 1 : 0)`)
    return
  }
  code.open('')
  code.line(`const _a = ${e}`)
  if (fieldNullable(f)) {
    code.line(`if (_a === null) ${t} += ${choose(flexC, '1', '4')}`)
    code.open('else')
  }
  if (flexC !== 'false') imp.writer.add('uvarintSize')
  code.line(`${t} += ${choose(flexC, 'uvarintSize(_a.length + 1)', '4')}`)
  const elem = ty.elem
  if (typeof elem !== 'string') {
    code.line(`for (let _i = 0; _i < _a.length; _i++) ${t} += size${elem.tsName}(_a[_i], v, ${splice})`)
  } else if (FIXED_SIZE[elem] !== undefined) {
    code.line(`${t} += _a.length * ${FIXED_SIZE[elem]}`)
  } else {
    const fn = elem === 'string' ? 'StringSize' : 'BytesSize'
    const plain = fn.charAt(0).toLowerCase() + fn.slice(1)
    if (flexC !== 'false') imp.writer.add(`compact${fn}`)
    if (flexC !== 'true') imp.writer.add(plain)
    code.line(
      `for (let _i = 0; _i < _a.length; _i++) ${t} += ${choose(flexC, `compact${fn}(_a[_i])`, `${plain}(_a[_i])`)}`,
    )
  }
  if (fieldNullable(f)) code.close()
  code.close()
}

export function emitSize(code: Code, ctx: StructCtx, imp: Imports): void {
  const s = ctx.struct
  imp.writer.add('Splice')
  code.open(`function size${s.tsName}(m: ${s.tsName}, v: number, s: Splice | null): number`)
  if (flexRef(ctx) === '_flex') code.line(`const _flex = ${ctx.flexCond}`)

  // Fields this version lacks must hold their default unless they are ignorable.
  for (const f of s.fields) {
    if (f.ignorable) continue
    const absent = absentCond(ctx, f)
    if (absent === 'false') continue
    const nd = nonDefaultCond(f, `m.${f.prop}`)
    const cond = and(absent, nd)
    encodeError(code, ctx, cond, `${f.prop} has a non-default value but this version lacks it`, imp)
  }

  const groups = groupBy(s.fields, (f) => versionCond(inOrderRange(ctx, f), ctx.range))
  let constant = 0
  for (const g of groups) if (g.key === 'true') for (const f of g.items) constant += fixedSize(f) ?? 0
  const tagged = ctx.flexCond === 'false' ? [] : taggedFields(ctx)
  if (ctx.flexCond === 'true' && tagged.length === 0) constant += 1
  code.line(`let _size = ${constant}`)

  for (const g of groups) {
    if (g.key === 'false') continue
    const always = g.key === 'true'
    const sub = new Code()
    let fixed = 0
    for (const f of g.items) {
      const within = inOrderRange(ctx, f)
      const e = `m.${f.prop}`
      emitNullCheck(sub, ctx, f, e, within, imp)
      const fs = fixedSize(f)
      if (fs !== null) fixed += fs
      else emitVarSize(sub, ctx, f, e, '_size', within, imp)
    }
    if (always) {
      code.append(sub)
      continue
    }
    if (fixed > 0 && sub.isEmpty()) {
      code.line(`if (${g.key}) _size += ${fixed}`)
      continue
    }
    code.open(`if (${g.key})`)
    if (fixed > 0) code.line(`_size += ${fixed}`)
    code.append(sub)
    code.close()
  }

  if (ctx.flexCond !== 'false' && !(ctx.flexCond === 'true' && tagged.length === 0)) {
    const flex = flexRef(ctx)
    if (tagged.length === 0) code.line(`if (${flex}) _size += 1`)
    else {
      imp.writer.add('uvarintSize')
      if (flex !== 'true') code.open(`if (${flex})`)
      code.line('let _tags = 0')
      const flexRange = intersect(ctx.range, ctx.msg.flexible)
      for (const f of tagged) {
        const within = taggedRange(ctx, f)
        const vc = versionCond(within, flexRange)
        const e = `m.${f.prop}`
        const nd = nonDefaultCond(f, e)
        code.open(`if (${and(vc, nd)})`)
        code.line('_tags++')
        emitNullCheck(code, ctx, f, e, within, imp)
        const fs = fixedSize(f)
        if (fs !== null) code.line(`_size += ${uvarintLen(f.tag) + uvarintLen(fs) + fs}`)
        else {
          emitPayloadLen(code, ctx, f, e, within, imp)
          code.line(`_size += ${uvarintLen(f.tag)} + uvarintSize(_len) + _len`)
        }
        code.close()
      }
      code.line('_size += uvarintSize(_tags)')
      if (flex !== 'true') code.close()
    }
  }
  code.line('return _size')
  code.close()
}

/**
 * Declares `_len`, the size of a tagged field's payload. Records never travel tagged (load.ts
 * refuses it), so the payload is always sized without splicing, the same in size() and write().
 */
export function emitPayloadLen(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  e: string,
  within: Range,
  imp: Imports,
): void {
  const sub = new Code()
  emitVarSize(sub, ctx, f, e, '_len', within, imp, 'null')
  const lines = sub.toString().trimEnd().split('\n')
  if (lines.length === 1 && lines[0].startsWith('_len += ')) {
    code.line(`const _len = ${lines[0].slice('_len += '.length)}`)
    return
  }
  code.line('let _len = 0')
  code.append(sub)
}
