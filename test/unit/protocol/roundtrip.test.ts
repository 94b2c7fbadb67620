// Round-trip property: for every generated codec (88 APIs × request/response, the two headers and
// the internal-topic record schemas) and every valid version, values built from the schema
// descriptors decode back to themselves, and the encoded length equals size().
//
// Values hold only what the version can carry: fields absent in the version stay at their
// default, null appears only where the version allows it, and tagged fields are sometimes left
// at their default (so they are sometimes omitted from the wire).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { DecodeError } from '../../../src/common/errors.ts'
import { decodeMessage, encodeMessage, type MessageCodec } from '../../../src/protocol/codec.ts'
import { API_TABLE } from '../../../src/protocol/generated/api-keys.ts'
import * as generated from '../../../src/protocol/generated/index.ts'
import {
  type FieldDescriptor,
  MESSAGE_DESCRIPTORS,
  type StructDescriptor,
  type VersionRange,
} from '../../../src/protocol/generated/schemas.ts'

/** Runs per (codec, version). ~750 versions in all, so this keeps the file to a few seconds. */
const RUNS = 25

const inRange = (r: VersionRange | null, v: number) => r !== null && r[0] <= v && v <= r[1]

// biome-ignore lint/suspicious/noExplicitAny: codecs of every message type
function isCodec(x: unknown): x is MessageCodec<any> {
  return (
    typeof x === 'object' && x !== null && 'decode' in x && 'size' in x && 'write' in x && 'defaults' in x
  )
}

// biome-ignore lint/suspicious/noExplicitAny: codecs of every message type
const codecs: MessageCodec<any>[] = Object.values(generated as Record<string, unknown>).filter(isCodec)

function defaultOf(f: FieldDescriptor): unknown {
  if (f.default !== undefined) return f.default
  switch (f.type) {
    case 'bytes':
    case 'records':
      return Buffer.alloc(0)
    case 'array':
      return []
    case 'struct':
      return defaultStruct(f.struct!)
    default:
      throw new Error(`no default for ${f.name}`)
  }
}

function defaultStruct(s: StructDescriptor): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of s.fields) out[f.name] = defaultOf(f)
  return out
}

const INT = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
} as const

const blob = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a))

function primArb(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean()
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [min, max] = INT[type]
      return fc.integer({ min, max })
    }
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    case 'float64':
      return fc.double()
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 })
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a).toString('base64url'))
    case 'bytes':
    case 'records':
      return blob
    default:
      throw new Error(`unknown type ${type}`)
  }
}

const structArbs = new Map<StructDescriptor, Map<number, fc.Arbitrary<Record<string, unknown>>>>()

function structArb(s: StructDescriptor, v: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
  let byVersion = structArbs.get(s)
  if (byVersion === undefined) {
    byVersion = new Map()
    structArbs.set(s, byVersion)
  }
  const cached = byVersion.get(v)
  if (cached !== undefined) return cached
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of s.fields) model[f.name] = fieldArb(f, v, depth)
  const arb = fc.record(model, { noNullPrototype: true })
  byVersion.set(v, arb)
  return arb
}

function fieldArb(f: FieldDescriptor, v: number, depth: number): fc.Arbitrary<unknown> {
  if (!inRange(f.versions, v)) return fc.constant(defaultOf(f))
  let arb: fc.Arbitrary<unknown>
  if (f.type === 'struct') arb = structArb(f.struct!, v, depth + 1)
  else if (f.type === 'array') {
    const elem = f.elem === 'struct' ? structArb(f.struct!, v, depth + 1) : primArb(f.elem!)
    // Shallower arrays may be longer; nested ones stay short so values stay small.
    arb = fc.array(elem, { maxLength: depth < 2 ? 3 : 2 })
  } else arb = primArb(f.type)
  if (inRange(f.nullable, v)) arb = fc.option(arb, { nil: null, freq: 4 })
  if (inRange(f.tagged, v)) arb = fc.oneof(fc.constant(defaultOf(f)), arb)
  return arb
}

function roundTrip(codec: MessageCodec<unknown>, v: number, x: unknown): void {
  const bytes = encodeMessage(codec, x, v)
  assert.equal(bytes.length, codec.size(x, v, null))
  assert.deepStrictEqual(decodeMessage(codec, bytes, v), x)
  if (bytes.length > 0) {
    // The encoding is exact, so any truncation must fail to decode, and only with DecodeError.
    assert.throws(() => decodeMessage(codec, bytes.subarray(0, bytes.length - 1), v), DecodeError)
  }
}

describe('generated codecs round-trip', () => {
  it('covers every API (request and response), both headers and the record schemas', () => {
    assert.equal(API_TABLE.length, 88)
    const names = new Set(codecs.map((c) => c.name))
    for (const e of API_TABLE) {
      assert.ok(names.has(e.request.name) && names.has(e.response.name), e.name)
      assert.equal(e.request.apiKey, e.key)
    }
    for (const n of [
      'RequestHeader',
      'ResponseHeader',
      'TransactionLogValue',
      'OffsetCommitValue',
      'ProducerSnapshot',
    ]) {
      assert.ok(names.has(n), n)
    }
    for (const c of codecs) assert.ok(MESSAGE_DESCRIPTORS.has(c.name), `descriptor for ${c.name}`)
  })

  for (const codec of codecs) {
    it(`${codec.name} v${codec.minVersion}-${codec.maxVersion}`, () => {
      const desc = MESSAGE_DESCRIPTORS.get(codec.name)!
      assert.deepEqual(desc.validVersions, [codec.minVersion, codec.maxVersion])
      for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
        roundTrip(codec, v, codec.defaults(v))
        fc.assert(
          fc.property(structArb(desc.root, v, 0), (x) => roundTrip(codec, v, x)),
          { numRuns: RUNS },
        )
      }
    })
  }
})
