// Reads one schema file into the model: resolves struct types (inline, reused by name, and
// commonStructs), parses version ranges and defaults, and computes for each struct the hull of
// versions in which it can appear (used to drop version checks that are always true).

import { readFileSync } from 'node:fs'
import { parseJsonc } from './jsonc.ts'
import type {
  DefaultValue,
  FieldSpec,
  FieldType,
  MessageKind,
  MessageSpec,
  Prim,
  StructSpec,
} from './model.ts'
import { PRIMS } from './model.ts'
import { camel } from './names.ts'
import { hull, intersect, isEmpty, NONE, parseRange } from './versions.ts'

interface RawField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number | string
  flexibleVersions?: string
  ignorable?: boolean
  default?: unknown
  entityType?: string
  mapKey?: boolean
  about?: string
  fields?: RawField[]
}

interface RawStruct {
  name: string
  versions?: string
  about?: string
  fields: RawField[]
}

interface RawMessage {
  type: MessageKind
  name: string
  apiKey?: number
  validVersions: string
  flexibleVersions?: string
  deprecatedVersions?: string
  latestVersionUnstable?: boolean
  listeners?: string[]
  fields: RawField[]
  commonStructs?: RawStruct[]
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** Base type each entity type must have, and the branded TS type it maps to. */
export const ENTITY_TYPES: Record<string, { base: Prim; ts: string }> = {
  topicName: { base: 'string', ts: 'TopicName' },
  groupId: { base: 'string', ts: 'GroupId' },
  transactionalId: { base: 'string', ts: 'TransactionalId' },
  brokerId: { base: 'int32', ts: 'BrokerId' },
  producerId: { base: 'int64', ts: 'ProducerId' },
}

export function loadMessage(path: string, relFile: string): MessageSpec {
  const raw = parseJsonc(readFileSync(path, 'utf8'), relFile) as RawMessage
  const where = `${relFile} (${raw.name})`
  const valid = parseRange(raw.validVersions, `${where} validVersions`)
  const flexible = raw.flexibleVersions === undefined ? NONE : parseRange(raw.flexibleVersions, where)

  // Struct definitions by name: commonStructs first, then every inline definition.
  const defs = new Map<string, RawStruct>()
  for (const cs of raw.commonStructs ?? []) defs.set(cs.name, cs)
  const collect = (fields: RawField[]): void => {
    for (const f of fields) {
      if (f.fields === undefined) continue
      const name = f.type.startsWith('[]') ? f.type.slice(2) : f.type
      if (defs.has(name) && defs.get(name)!.fields !== f.fields) {
        throw new Error(`${where}: struct ${name} is defined twice`)
      }
      defs.set(name, { name, about: f.about, fields: f.fields })
      collect(f.fields)
    }
  }
  collect(raw.fields)
  for (const cs of raw.commonStructs ?? []) collect(cs.fields)

  const structs: StructSpec[] = []
  const built = new Map<string, StructSpec>()
  const buildStruct = (name: string, tsName: string, about: string, fields: RawField[]): StructSpec => {
    const s: StructSpec = { name, tsName, about, fields: [], range: NONE }
    s.fields = fields.map((f) => buildField(f))
    structs.push(s)
    return s
  }
  const structByName = (name: string): StructSpec => {
    let s = built.get(name)
    if (s !== undefined) return s
    const def = defs.get(name)
    if (def === undefined) throw new Error(`${where}: unknown type ${name}`)
    s = buildStruct(name, raw.name + name, def.about ?? '', def.fields)
    built.set(name, s)
    return s
  }
  const buildField = (f: RawField): FieldSpec => {
    const fw = `${where} field ${f.name}`
    let type: FieldType
    if (f.type.startsWith('[]')) {
      const e = f.type.slice(2)
      type = { kind: 'array', elem: isPrim(e) ? e : structByName(e) }
    } else if (isPrim(f.type)) {
      type = { kind: 'prim', prim: f.type }
    } else {
      type = { kind: 'struct', struct: structByName(f.type) }
    }
    const tagged = f.taggedVersions === undefined ? NONE : parseRange(f.taggedVersions, fw)
    const versionsSpec = f.versions ?? f.taggedVersions
    if (versionsSpec === undefined) throw new Error(`${fw}: no versions`)
    const versions = parseRange(versionsSpec, fw)
    const nullable = f.nullableVersions === undefined ? NONE : parseRange(f.nullableVersions, fw)
    const tag = f.tag === undefined ? -1 : Number(f.tag)
    if (!isEmpty(tagged) && !(tag >= 0)) throw new Error(`${fw}: tagged without a tag`)
    let entityType: string | null = null
    if (f.entityType !== undefined && f.entityType !== 'unknown') {
      const ent = ENTITY_TYPES[f.entityType]
      if (ent === undefined) throw new Error(`${fw}: unknown entityType ${f.entityType}`)
      const base = type.kind === 'prim' ? type.prim : type.kind === 'array' ? type.elem : null
      if (base !== ent.base) throw new Error(`${fw}: entityType ${f.entityType} on ${f.type}`)
      entityType = f.entityType
    }
    return {
      name: f.name,
      prop: camel(f.name),
      type,
      typeText: f.type,
      versions,
      nullable: intersect(nullable, versions),
      tagged: intersect(tagged, versions),
      tag,
      flexible: f.flexibleVersions === undefined ? flexible : parseRange(f.flexibleVersions, fw),
      ignorable: f.ignorable === true,
      default: parseDefault(f, type, !isEmpty(intersect(nullable, versions)), fw),
      entityType,
      mapKey: f.mapKey === true,
      about: f.about ?? '',
    }
  }

  const root = buildStruct(raw.name, raw.name, '', raw.fields)
  // Propagate version hulls down the struct tree until nothing changes (schemas are acyclic).
  root.range = valid
  for (let changed = true; changed; ) {
    changed = false
    for (const s of structs) {
      if (isEmpty(s.range)) continue
      for (const f of s.fields) {
        const child = f.type.kind === 'struct' ? f.type.struct : f.type.kind === 'array' ? f.type.elem : null
        if (child === null || typeof child === 'string') continue
        const next = hull(child.range, intersect(s.range, f.versions))
        if (next.lo !== child.range.lo || next.hi !== child.range.hi) {
          child.range = next
          changed = true
        }
      }
    }
  }

  for (const s of structs) {
    for (const f of s.fields) {
      if (!isEmpty(f.tagged) && hasRecords(f.type, new Set())) {
        throw new Error(`${where}: records inside tagged field ${f.name} are not supported`)
      }
    }
  }

  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey ?? -1,
    valid,
    flexible,
    deprecated: raw.deprecatedVersions === undefined ? NONE : parseRange(raw.deprecatedVersions, where),
    latestVersionUnstable: raw.latestVersionUnstable === true,
    listeners: raw.listeners ?? [],
    root,
    structs,
    file: relFile,
  }
}

function hasRecords(t: FieldType, seen: Set<StructSpec>): boolean {
  if (t.kind === 'prim') return t.prim === 'records'
  const s = t.kind === 'struct' ? t.struct : t.elem
  if (typeof s === 'string') return s === 'records'
  if (seen.has(s)) return false
  seen.add(s)
  return s.fields.some((f) => hasRecords(f.type, seen))
}

function isPrim(t: string): t is Prim {
  return (PRIMS as readonly string[]).includes(t)
}

function parseDefault(f: RawField, type: FieldType, nullable: boolean, fw: string): DefaultValue {
  const d = f.default
  if (d === null || d === 'null') {
    if (!nullable && !(type.kind === 'prim' && type.prim === 'records')) {
      throw new Error(`${fw}: null default on a field that is never nullable`)
    }
    return null
  }
  if (type.kind !== 'prim') {
    if (d !== undefined) throw new Error(`${fw}: unsupported default ${JSON.stringify(d)}`)
    return undefined
  }
  switch (type.prim) {
    case 'bool':
      if (d === undefined) return false
      if (d === true || d === 'true') return true
      if (d === false || d === 'false') return false
      throw new Error(`${fw}: bad bool default ${JSON.stringify(d)}`)
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64': {
      const v = d === undefined ? 0n : parseInteger(d, fw)
      const [min, max] = INT_LIMITS[type.prim]
      if (v < min || v > max) throw new Error(`${fw}: default ${v} out of range for ${type.prim}`)
      return type.prim === 'int64' ? v : Number(v)
    }
    case 'float64': {
      if (d === undefined) return 0
      const v = Number(d)
      if (Number.isNaN(v) && d !== 'NaN') throw new Error(`${fw}: bad float default ${JSON.stringify(d)}`)
      return v
    }
    case 'string':
      if (d === undefined) return ''
      if (typeof d !== 'string') throw new Error(`${fw}: bad string default ${JSON.stringify(d)}`)
      return d
    case 'uuid':
      if (d !== undefined) throw new Error(`${fw}: uuid defaults are not supported`)
      return ZERO_UUID
    case 'bytes':
      if (d !== undefined) throw new Error(`${fw}: bytes defaults are not supported`)
      return undefined
    case 'records':
      // Kafka's records default is null; a records field that is never nullable defaults to empty.
      return nullable ? null : undefined
  }
}

const INT_LIMITS: Record<string, [bigint, bigint]> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
}

/** Decimal, 0x hex or 0-prefixed octal, optionally negative (as Kafka's generator accepts). */
function parseInteger(d: unknown, fw: string): bigint {
  if (typeof d === 'number') {
    if (!Number.isInteger(d)) throw new Error(`${fw}: bad integer default ${d}`)
    return BigInt(d)
  }
  if (typeof d !== 'string') throw new Error(`${fw}: bad integer default ${JSON.stringify(d)}`)
  const m = /^(-?)(0x[0-9a-fA-F]+|0[0-7]+|\d+)$/.exec(d.trim())
  if (m === null) throw new Error(`${fw}: bad integer default ${JSON.stringify(d)}`)
  const body = m[2]
  const mag = /^0[0-7]+$/.test(body) ? BigInt(`0o${body.slice(1)}`) : BigInt(body)
  return m[1] === '-' ? -mag : mag
}
