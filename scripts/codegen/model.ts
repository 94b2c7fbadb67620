// The normalized schema model the emitters work from. load.ts builds it from the JSON files.

import type { Range } from './versions.ts'

export type Prim =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records'

export const PRIMS: readonly Prim[] = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'uuid',
  'bytes',
  'records',
]

/** Wire size of fixed-width primitives. */
export const FIXED_SIZE: Partial<Record<Prim, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
}

export type FieldType =
  | { readonly kind: 'prim'; readonly prim: Prim }
  | { readonly kind: 'struct'; readonly struct: StructSpec }
  | { readonly kind: 'array'; readonly elem: Prim | StructSpec }

/** A default value after parsing: a JS literal, or null, or "the type's empty value" (undefined). */
export type DefaultValue = number | bigint | boolean | string | null | undefined

export interface FieldSpec {
  readonly name: string
  readonly prop: string
  readonly type: FieldType
  /** The schema's type text, e.g. "[]TopicData". */
  readonly typeText: string
  readonly versions: Range
  readonly nullable: Range
  readonly tagged: Range
  readonly tag: number
  readonly flexible: Range
  readonly ignorable: boolean
  readonly default: DefaultValue
  readonly entityType: string | null
  readonly mapKey: boolean
  readonly about: string
}

export interface StructSpec {
  /** Schema name ("TopicData"); the root struct carries the message name. */
  readonly name: string
  /** TypeScript name: message name + struct name, or the message name for the root. */
  readonly tsName: string
  fields: FieldSpec[]
  /** Hull of the versions in which this struct can be read or written. */
  range: Range
  readonly about: string
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'metadata'

export interface MessageSpec {
  readonly name: string
  readonly kind: MessageKind
  readonly apiKey: number
  readonly valid: Range
  readonly flexible: Range
  readonly deprecated: Range
  readonly latestVersionUnstable: boolean
  readonly listeners: readonly string[]
  readonly root: StructSpec
  /** Every struct in definition order, root last (children before parents). */
  readonly structs: StructSpec[]
  /** Schema file, relative to the schema folder's parent (e.g. "messages/ProduceRequest.json"). */
  readonly file: string
}
