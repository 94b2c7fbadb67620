// Emits `write<Struct>(w, m, v)`. It trusts that size() accepted the value (size always runs
// first to allocate the buffer), so it carries no validation. Tagged fields are written after
// the in-order fields, in ascending tag order, and only when they differ from their default.

import { Code } from './code.ts'
import {
  and,
  fieldFlexCond,
  flexRef,
  groupBy,
  inOrderRange,
  nullCond,
  type StructCtx,
  taggedFields,
  taggedRange,
} from './emit-common.ts'
import { emitPayloadLen } from './emit-size.ts'
import { FIXED_SIZE, type FieldSpec, type Prim } from './model.ts'
import { fieldNullable, type Imports, nonDefaultCond } from './ts-types.ts'
import { intersect, type Range, versionCond } from './versions.ts'

/** Statement(s) writing one primitive value `e`. */
function primWrite(code: Code, p: Prim, e: string, flexC: string): void {
  switch (p) {
    case 'string':
    case 'bytes': {
      const k = p === 'string' ? 'String' : 'Bytes'
      const lower = k.toLowerCase()
      if (flexC === 'true') code.line(`w.compact${k}(${e})`)
      else if (flexC === 'false') code.line(`w.${lower}(${e})`)
      else code.line(`if (${flexC}) w.compact${k}(${e})`).line(`else w.${lower}(${e})`)
      return
    }
    case 'records':
      code.line(`w.records(${e}, ${flexC})`)
      return
    default:
      code.line(`w.${p}(${e})`)
  }
}

function emitWriteField(
  code: Code,
  ctx: StructCtx,
  f: FieldSpec,
  e: string,
  within: Range,
  tagged = false,
): void {
  const flexC = fieldFlexCond(ctx, f, within)
  const t = f.type
  if (t.kind === 'prim') {
    primWrite(code, t.prim, e, flexC)
    return
  }
  if (t.kind === 'struct') {
    const nc = nullCond(f, within)
    const write = (x: string) => `write${t.struct.tsName}(w, ${x}, v)`
    if (nc === 'false') code.line(write(fieldNullable(f) ? `${e}!` : e))
    else {
      // The null marker is int8 -1/1 in order, unsigned varint 0/1 when tagged (as Kafka writes it).
      code.line(`if (${e} === null) ${tagged ? 'w.uvarint(0)' : 'w.int8(-1)'}`)
      code.open('else')
      const one = tagged ? 'w.uvarint(1)' : 'w.int8(1)'
      if (nc === 'true') code.line(one)
      else code.line(`if (${nc}) ${one}`)
      code.line(write(e))
      code.close()
    }
    return
  }
  code.open('')
  code.line(`const _a = ${e}`)
  if (fieldNullable(f)) {
    if (flexC === 'true') code.line('if (_a === null) w.uvarint(0)')
    else if (flexC === 'false') code.line('if (_a === null) w.int32(-1)')
    else code.line(`if (_a === null) ${flexC} ? w.uvarint(0) : w.int32(-1)`)
    code.open('else')
  }
  if (flexC === 'true') code.line('w.uvarint(_a.length + 1)')
  else if (flexC === 'false') code.line('w.int32(_a.length)')
  else code.line(`if (${flexC}) w.uvarint(_a.length + 1)`).line('else w.int32(_a.length)')
  const elem = t.elem
  if (typeof elem !== 'string') {
    code.line(`for (let _i = 0; _i < _a.length; _i++) write${elem.tsName}(w, _a[_i], v)`)
  } else {
    const sub = new Code()
    primWrite(sub, elem, '_a[_i]', flexC)
    const lines = sub.toString().trimEnd().split('\n')
    if (lines.length === 1) code.line(`for (let _i = 0; _i < _a.length; _i++) ${lines[0]}`)
    else {
      code.open('for (let _i = 0; _i < _a.length; _i++)')
      code.append(sub)
      code.close()
    }
  }
  if (fieldNullable(f)) code.close()
  code.close()
}

export function emitWrite(code: Code, ctx: StructCtx, imp: Imports): void {
  const s = ctx.struct
  imp.writer.add('Writer')
  code.open(`function write${s.tsName}(w: Writer, m: ${s.tsName}, v: number): void`)
  if (flexRef(ctx) === '_flex') code.line(`const _flex = ${ctx.flexCond}`)

  for (const g of groupBy(s.fields, (f) => versionCond(inOrderRange(ctx, f), ctx.range))) {
    if (g.key === 'false') continue
    const sub = new Code()
    for (const f of g.items) emitWriteField(sub, ctx, f, `m.${f.prop}`, inOrderRange(ctx, f))
    if (g.key === 'true') code.append(sub)
    else {
      code.open(`if (${g.key})`)
      code.append(sub)
      code.close()
    }
  }

  if (ctx.flexCond !== 'false') {
    const flex = flexRef(ctx)
    const tagged = taggedFields(ctx)
    if (tagged.length === 0) code.line(flex === 'true' ? 'w.uvarint(0)' : `if (${flex}) w.uvarint(0)`)
    else {
      if (flex !== 'true') code.open(`if (${flex})`)
      const flexRange = intersect(ctx.range, ctx.msg.flexible)
      const flags: string[] = []
      tagged.forEach((f, i) => {
        const vc = versionCond(taggedRange(ctx, f), flexRange)
        code.line(`const _t${i} = ${and(vc, nonDefaultCond(f, `m.${f.prop}`))}`)
        flags.push(`(_t${i} ? 1 : 0)`)
      })
      code.line(`w.uvarint(${flags.join(' + ')})`)
      tagged.forEach((f, i) => {
        const within = taggedRange(ctx, f)
        const e = `m.${f.prop}`
        code.open(`if (_t${i})`)
        code.line(`w.uvarint(${f.tag})`)
        const fs = f.type.kind === 'prim' ? FIXED_SIZE[f.type.prim] : undefined
        if (fs !== undefined) code.line(`w.uvarint(${fs})`)
        else {
          // Tagged payloads are small (records never travel tagged), so sizing twice is fine.
          emitPayloadLen(code, ctx, f, e, within, imp)
          code.line('w.uvarint(_len)')
        }
        emitWriteField(code, ctx, f, e, within, true)
        code.close()
      })
      if (flex !== 'true') code.close()
    }
  }
  code.close()
}
