// Emits the TypeScript side of each struct: the interface (with the schema's versions and notes in
// its doc comments), `default<Struct>()`, and `isDefault<Struct>()` where a struct-typed field
// needs one (tagged fields and version checks compare against the default struct, as Kafka does).

import type { Code } from './code.ts'
import type { FieldSpec, MessageSpec, StructSpec } from './model.ts'
import { defaultExpr, fieldTs, type Imports, nonDefaultCond } from './ts-types.ts'
import { formatRange, isEmpty } from './versions.ts'

/** Structs of a message in pre-order from the root (parents before children, siblings in order). */
export function structOrder(msg: MessageSpec): StructSpec[] {
  const out: StructSpec[] = []
  const visit = (s: StructSpec): void => {
    if (out.includes(s)) return
    out.push(s)
    for (const f of s.fields) {
      const child = f.type.kind === 'struct' ? f.type.struct : f.type.kind === 'array' ? f.type.elem : null
      if (child !== null && typeof child !== 'string') visit(child)
    }
  }
  visit(msg.root)
  return out
}

function fieldNotes(f: FieldSpec): string {
  const notes = [`versions ${formatRange(f.versions)}`]
  if (!isEmpty(f.nullable)) notes.push(`nullable ${formatRange(f.nullable)}`)
  if (!isEmpty(f.tagged)) notes.push(`tagged ${formatRange(f.tagged)} as tag ${f.tag}`)
  if (
    f.default !== undefined &&
    f.default !== '' &&
    f.default !== 0 &&
    f.default !== false &&
    f.default !== 0n
  ) {
    notes.push(
      `default ${f.default === null ? 'null' : typeof f.default === 'string' ? JSON.stringify(f.default) : String(f.default)}`,
    )
  }
  if (f.ignorable) notes.push('ignorable')
  if (f.mapKey) notes.push('map key')
  if (f.type.kind === 'array' && typeof f.type.elem !== 'string') {
    const keys = f.type.elem.fields.filter((k) => k.mapKey).map((k) => k.prop)
    if (keys.length > 0) notes.push(`a map keyed by ${keys.join(' + ')} (kept as an array)`)
  }
  if (f.typeText !== f.type.kind && f.type.kind !== 'prim') notes.push(`schema type ${f.typeText}`)
  return notes.join('; ')
}

export function emitInterface(code: Code, msg: MessageSpec, s: StructSpec, imp: Imports): void {
  if (s === msg.root) {
    const parts = [`${msg.name}`]
    if (msg.apiKey >= 0) parts.push(`(api key ${msg.apiKey})`)
    parts.push(`versions ${formatRange(msg.valid)}, flexible ${formatRange(msg.flexible)}.`)
    code.doc(parts.join(' '))
  } else code.doc(s.about)
  code.open(`export interface ${s.tsName}`)
  for (const f of s.fields) {
    const about = f.about.trim()
    code.doc(`${about}${about === '' || /[.!?]$/.test(about) ? '' : '.'} (${fieldNotes(f)})`.trim())
    code.line(`${f.prop}: ${fieldTs(f, imp)}`)
  }
  code.close()
}

export function emitDefault(code: Code, s: StructSpec, imp: Imports): void {
  code.open(`export function default${s.tsName}(): ${s.tsName}`)
  const props = s.fields.map((f) => `${f.prop}: ${defaultExpr(f, imp)}`)
  const one = `return { ${props.join(', ')} }`
  if (one.length <= 100) code.line(one)
  else {
    code.line('return {')
    for (const p of props) code.line(`  ${p},`)
    code.line('}')
  }
  code.close()
}

export function emitIsDefault(code: Code, s: StructSpec): void {
  code.open(`function isDefault${s.tsName}(m: ${s.tsName}): boolean`)
  for (const f of s.fields) code.line(`if (${nonDefaultCond(f, `m.${f.prop}`)}) return false`)
  code.line('return true')
  code.close()
}
