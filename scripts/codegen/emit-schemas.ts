// schemas.ts: the schemas as plain descriptors (fields, versions, nullability, tags, defaults),
// so tests can build values for any message and version without reading the JSON at run time.

import { Code } from './code.ts'
import { fileHeader } from './emit-file.ts'
import type { DefaultValue, FieldSpec, MessageSpec, StructSpec } from './model.ts'
import { str } from './names.ts'
import { isEmpty, type Range } from './versions.ts'

const OPEN = 0x7fff

function range(r: Range): string {
  if (isEmpty(r)) return 'null'
  return `[${r.lo}, ${r.hi === Number.POSITIVE_INFINITY ? OPEN : r.hi}]`
}

function lit(d: DefaultValue): string {
  if (d === undefined) return 'undefined'
  if (d === null) return 'null'
  if (typeof d === 'bigint') return `${d}n`
  if (typeof d === 'string') return str(d)
  return String(d)
}

function descName(s: StructSpec): string {
  return `S_${s.tsName}`
}

function fieldDesc(f: FieldSpec): string {
  const t = f.type
  const type = t.kind === 'prim' ? t.prim : t.kind
  const elem = t.kind === 'array' ? (typeof t.elem === 'string' ? str(t.elem) : "'struct'") : 'null'
  const struct =
    t.kind === 'struct'
      ? descName(t.struct)
      : t.kind === 'array' && typeof t.elem !== 'string'
        ? descName(t.elem)
        : 'null'
  return (
    `{ name: ${str(f.prop)}, type: ${str(type)}, elem: ${elem}, struct: ${struct}, ` +
    `versions: ${range(f.versions)}, nullable: ${range(f.nullable)}, tagged: ${range(f.tagged)}, tag: ${f.tag}, ` +
    `ignorable: ${f.ignorable}, default: ${lit(f.default)}, entityType: ${f.entityType === null ? 'null' : str(f.entityType)} },`
  )
}

export function emitSchemas(msgs: readonly MessageSpec[]): string {
  const code = new Code()
  code.line(`/** Inclusive version range; ${OPEN} stands for "and later". */`)
  code.line('export type VersionRange = readonly [number, number]')
  code.line()
  code.open('export interface FieldDescriptor')
  code.doc('The camelCase property name.')
  code.line('readonly name: string')
  code.line(
    "readonly type: 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'string' | 'uuid' | 'bytes' | 'records' | 'struct' | 'array'",
  )
  code.doc("Array element type ('struct' for arrays of structs), else null.")
  code.line('readonly elem: string | null')
  code.line('readonly struct: StructDescriptor | null')
  code.line('readonly versions: VersionRange')
  code.line('readonly nullable: VersionRange | null')
  code.line('readonly tagged: VersionRange | null')
  code.line('readonly tag: number')
  code.line('readonly ignorable: boolean')
  code.doc(
    "Default: a literal, null, or undefined for the type's empty value (empty bytes/array, default struct).",
  )
  code.line('readonly default: number | bigint | boolean | string | null | undefined')
  code.line('readonly entityType: string | null')
  code.close()
  code.line()
  code.open('export interface StructDescriptor')
  code.line('readonly name: string')
  code.line('readonly fields: readonly FieldDescriptor[]')
  code.close()
  code.line()
  code.open('export interface MessageDescriptor')
  code.line('readonly name: string')
  code.line('readonly apiKey: number')
  code.line('readonly validVersions: VersionRange')
  code.line('readonly flexibleVersions: VersionRange | null')
  code.line('readonly root: StructDescriptor')
  code.close()

  for (const msg of msgs) {
    code.line()
    code.line(`// ${msg.file}`)
    for (const s of msg.structs) {
      code.open(`const ${descName(s)}: StructDescriptor =`)
      code.line(`name: ${str(s.tsName)},`)
      code.line('fields: [')
      for (const f of s.fields) code.line(`  ${fieldDesc(f)}`)
      code.line('],')
      code.close()
    }
  }
  code.line()
  code.doc('Every generated message, header and record schema, by schema name.')
  code.openRaw(
    'export const MESSAGE_DESCRIPTORS: ReadonlyMap<string, MessageDescriptor> = new Map<string, MessageDescriptor>([',
  )
  for (const msg of msgs) {
    code.line(
      `[${str(msg.name)}, { name: ${str(msg.name)}, apiKey: ${msg.apiKey}, validVersions: ${range(msg.valid)}, ` +
        `flexibleVersions: ${range(msg.flexible)}, root: ${descName(msg.root)} }],`,
    )
  }
  code.close('])')
  return `${fileHeader(['every schema the other generated modules come from'])}\n${code}`
}
