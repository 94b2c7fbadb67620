// Hostile input: random and mutated frames fed to the frame reader, the request-frame decoder and
// every request (and response) decoder of every API × version. Each input must give a value or a
// typed DecodeError/SamsaError — never another exception, never a hang — and what is decoded must
// be bounded by the input: buffers are zero-copy views no longer than the input, strings and
// arrays no longer than it, and no Buffer allocation larger than the input happens while decoding.
//
// Two seeds per run: a fixed one (reproducible coverage) and a random one (new ground each run),
// printed on failure; set FUZZ_SEED=<n> to replay a run's random half.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { DecodeError, InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
import { encodeMessage, type MessageCodec } from '../../../src/protocol/codec.ts'
import { decodeRequestBody, decodeRequestFrame } from '../../../src/protocol/frame.ts'
import { FrameReader } from '../../../src/protocol/frame-reader.ts'
import { API_TABLE } from '../../../src/protocol/generated/api-keys.ts'
import { requestHeaderCodec } from '../../../src/protocol/generated/headers.ts'
import {
  type FieldDescriptor,
  MESSAGE_DESCRIPTORS,
  type StructDescriptor,
  type VersionRange,
} from '../../../src/protocol/generated/schemas.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { Writer } from '../../../src/protocol/primitives/writer.ts'
import { seeded } from '../../support/seeded.ts'

const FIXED_SEED = 0x5eed2024
const RANDOM_SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Math.random() * 2 ** 32) >>> 0
/** Mutated inputs per request decoder and version, per seed. */
const REQUEST_RUNS = 300
/** Mutated inputs per response decoder and version, per seed. */
const RESPONSE_RUNS = 40
const FRAME_RUNS = 15_000
const STREAM_RUNS = 2_000
/**
 * Any single decode using more CPU than this counts as a hang. CPU time, not wall time: a test
 * process starved by other work (real-time benchmarks on a shared machine) would otherwise fail
 * on a decode that only waited for a core.
 */
const SLOW_MS = 250

// --- deterministic randomness ------------------------------------------------------------------

class Rng {
  readonly next: () => number
  constructor(seed: number) {
    this.next = seeded(seed)
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}

// --- seed corpus: populated values per API × version, golden frames, real batches -------------

const inRange = (r: VersionRange | null, v: number) => r !== null && r[0] <= v && v <= r[1]

function defaultOf(f: FieldDescriptor): unknown {
  if (f.default !== undefined) return f.default
  if (f.type === 'bytes' || f.type === 'records') return Buffer.alloc(0)
  if (f.type === 'array') return []
  return populate(f.struct!, -1, null, 0)
}

const BATCHES = readdirSync('test/fixtures/batches')
  .filter((f) => f.endsWith('.bin'))
  .map((f) => readFileSync(join('test/fixtures/batches', f)))

function prim(type: string, rng: Rng): unknown {
  switch (type) {
    case 'bool':
      return rng.int(2) === 1
    case 'int8':
      return rng.int(256) - 128
    case 'int16':
      return rng.int(200) - 1
    case 'uint16':
      return rng.int(65536)
    case 'int32':
      return rng.int(100_000) - 1
    case 'uint32':
      return rng.int(2 ** 32)
    case 'int64':
      return BigInt(rng.int(2 ** 31)) - 1n
    case 'float64':
      return rng.next() * 100
    case 'string':
      return rng.pick(['a', 'topic-1', 'group', 'ü€', 'x'.repeat(20)])
    case 'uuid':
      return rng.bytes(16).toString('base64url')
    case 'bytes':
      return rng.bytes(rng.int(12))
    case 'records':
      return rng.pick(BATCHES)
    default:
      throw new Error(type)
  }
}

/** A value of a struct for version v: fields outside v at their default, the rest filled in. */
function populate(s: StructDescriptor, v: number, rng: Rng | null, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of s.fields) {
    if (rng === null || !inRange(f.versions, v)) {
      out[f.name] = defaultOf(f)
      continue
    }
    if (inRange(f.nullable, v) && rng.int(5) === 0) {
      out[f.name] = null
      continue
    }
    if (f.type === 'struct') out[f.name] = populate(f.struct!, v, rng, depth + 1)
    else if (f.type === 'array') {
      const n = depth < 3 ? 1 + rng.int(2) : 0
      const elems: unknown[] = []
      for (let i = 0; i < n; i++)
        elems.push(f.elem === 'struct' ? populate(f.struct!, v, rng, depth + 1) : prim(f.elem!, rng))
      out[f.name] = elems
    } else out[f.name] = prim(f.type, rng)
  }
  return out
}

interface Target {
  // biome-ignore lint/suspicious/noExplicitAny: codecs of every message type
  codec: MessageCodec<any>
  version: number
  seeds: Buffer[]
}

function targets(kind: 'request' | 'response'): Target[] {
  const rng = new Rng(FIXED_SEED)
  const out: Target[] = []
  for (const api of API_TABLE) {
    const codec = api[kind]
    const desc = MESSAGE_DESCRIPTORS.get(codec.name)!
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const seeds = [encodeMessage(codec, codec.defaults(v), v)]
      for (let i = 0; i < 3; i++) seeds.push(encodeMessage(codec, populate(desc.root, v, rng, 0), v))
      out.push({ codec, version: v, seeds })
    }
  }
  return out
}

const REQUESTS = targets('request')
const RESPONSES = targets('response')

/** Golden request frames (no size prefix), and their bodies added to their decoder's seeds. */
const GOLDEN_FRAMES: Buffer[] = []
for (const client of readdirSync('test/fixtures/golden')) {
  for (const f of readdirSync(join('test/fixtures/golden', client))) {
    if (!f.endsWith('.bin')) continue
    const raw = readFileSync(join('test/fixtures/golden', client, f))
    GOLDEN_FRAMES.push(raw)
    const frame = decodeRequestFrame(raw)
    const t = REQUESTS.find((x) => x.codec.apiKey === frame.apiKey && x.version === frame.apiVersion)
    t?.seeds.push(raw.subarray(frame.bodyOffset))
  }
}
const ALL_SEEDS = [...REQUESTS, ...RESPONSES].flatMap((t) => t.seeds)

// --- mutations ---------------------------------------------------------------------------------

const HUGE_INT32 = [0x7fffffff, -2, -1, -0x80000000, 0x10000, 0x40000000]
const HUGE_INT16 = [0x7fff, -2, -1, -0x8000]
const HUGE_VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x07],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
  [0xfe, 0xff, 0xff, 0xff, 0x0f],
]

function mutate(src: Buffer, rng: Rng): Buffer {
  let b: Buffer = Buffer.from(src)
  const steps = 1 + rng.int(3)
  for (let s = 0; s < steps; s++) {
    const len = b.length
    switch (rng.int(11)) {
      case 0: // bit flips
        for (let i = 0, n = 1 + rng.int(4); i < n && len > 0; i++) b[rng.int(len)] ^= 1 << rng.int(8)
        break
      case 1: // interesting bytes
        if (len > 0) b[rng.int(len)] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe])
        break
      case 2: // truncation
        b = b.subarray(0, rng.int(len + 1))
        break
      case 3: // random tail
        b = Buffer.concat([b, rng.bytes(1 + rng.int(16))])
        break
      case 4: // huge or negative int32 (array and bytes lengths)
        if (len >= 4) b.writeInt32BE(rng.pick(HUGE_INT32), rng.int(len - 3))
        break
      case 5: // huge or negative int16 (string lengths)
        if (len >= 2) b.writeInt16BE(rng.pick(HUGE_INT16), rng.int(len - 1))
        break
      case 6: {
        // huge or overlong varint (compact lengths, tag counts and sizes)
        const v = rng.pick(HUGE_VARINTS)
        const at = rng.int(len + 1)
        b = Buffer.concat([b.subarray(0, at), Buffer.from(v), b.subarray(Math.min(len, at + v.length))])
        break
      }
      case 7: {
        // splice in a piece of another seed
        const other = rng.pick(ALL_SEEDS)
        const from = rng.int(other.length + 1)
        const piece = other.subarray(from, from + rng.int(32))
        const at = rng.int(len + 1)
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(Math.min(len, at + rng.int(8)))])
        break
      }
      case 8: {
        // duplicate a region
        const at = rng.int(len + 1)
        const end = Math.min(len, at + 1 + rng.int(16))
        b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)])
        break
      }
      case 9: {
        // delete a region
        const at = rng.int(len + 1)
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(len, at + 1 + rng.int(8)))])
        break
      }
      default:
        b = rng.bytes(rng.int(64))
    }
  }
  return b
}

// --- the properties ----------------------------------------------------------------------------

/** Largest Buffer allocation requested while `fn` ran. */
function maxAllocDuring<T>(fn: () => T): { value: T; maxAlloc: number } {
  const { alloc, allocUnsafe, allocUnsafeSlow } = Buffer
  let maxAlloc = 0
  const spy =
    <A extends unknown[]>(f: (n: number, ...rest: A) => Buffer) =>
    (n: number, ...rest: A) => {
      if (n > maxAlloc) maxAlloc = n
      return f(n, ...rest)
    }
  Buffer.alloc = spy(alloc) as typeof Buffer.alloc
  Buffer.allocUnsafe = spy(allocUnsafe) as typeof Buffer.allocUnsafe
  Buffer.allocUnsafeSlow = spy(allocUnsafeSlow) as typeof Buffer.allocUnsafeSlow
  try {
    return { value: fn(), maxAlloc }
  } finally {
    Buffer.alloc = alloc
    Buffer.allocUnsafe = allocUnsafe
    Buffer.allocUnsafeSlow = allocUnsafeSlow
  }
}

/**
 * Checks every Buffer, string and array in a decoded value against the input it came from. (Strings
 * at their schema default are constants and not read from the input, so only each string's own
 * length is bounded, not their sum.)
 */
function checkBounded(value: unknown, input: Buffer, where: string): void {
  const limit = input.length
  let elements = 0
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'string')
        assert.ok(x.length <= Math.max(limit, 22), `${where}: string of ${x.length} from ${limit} bytes`)
      return
    }
    if (Buffer.isBuffer(x)) {
      assert.ok(x.length <= limit, `${where}: buffer of ${x.length} from ${limit} bytes`)
      assert.ok(x.length === 0 || x.buffer === input.buffer, `${where}: decoded bytes were copied`)
      return
    }
    if (Array.isArray(x)) {
      assert.ok(x.length <= limit, `${where}: array of ${x.length} from ${limit} bytes`)
      elements += x.length
      for (const e of x) walk(e)
      return
    }
    for (const k in x) walk((x as Record<string, unknown>)[k])
  }
  walk(value)
  assert.ok(elements <= limit, `${where}: ${elements} array elements from ${limit} bytes`)
}

function isTyped(e: unknown): boolean {
  return e instanceof DecodeError || e instanceof SamsaError
}

/** Decodes one input with one codec; returns true when it decoded cleanly. */
function fuzzDecode(codec: MessageCodec<unknown>, version: number, input: Buffer, where: string): boolean {
  const r = new Reader(input)
  const cpu0 = process.cpuUsage()
  let result: { value: unknown; maxAlloc: number }
  try {
    result = maxAllocDuring(() => codec.decode(r, version))
  } catch (e) {
    assert.fail(`${where}: decode threw ${(e as Error)?.stack ?? e}`)
  }
  const cpu = process.cpuUsage(cpu0)
  const ms = (cpu.user + cpu.system) / 1000
  assert.ok(ms < SLOW_MS, `${where}: decode took ${ms.toFixed(0)} ms of CPU`)
  assert.ok(
    result.maxAlloc <= input.length,
    `${where}: allocated ${result.maxAlloc} bytes for ${input.length}`,
  )
  assert.ok(r.error === null || r.error instanceof DecodeError, `${where}: error is not a DecodeError`)
  assert.ok(r.pos >= 0 && r.pos <= input.length, `${where}: reader position ${r.pos} outside the input`)
  checkBounded(result.value, input, where)
  if (r.error !== null) return false
  // A clean decode must re-encode, and the re-encoding must decode to the same value.
  let again: Buffer
  try {
    again = encodeMessage(codec, result.value, version)
  } catch (e) {
    assert.fail(
      `${where}: decoded value does not re-encode: ${(e as Error).message}\ninput ${input.toString('hex')}`,
    )
  }
  const r2 = new Reader(again)
  const back = codec.decode(r2, version)
  assert.equal(r2.error, null, `${where}: re-encoding does not decode`)
  assert.deepStrictEqual(back, result.value, `${where}: re-encoding decodes differently`)
  return true
}

function withSeed(seed: number, fn: (rng: Rng) => void): void {
  try {
    fn(new Rng(seed))
  } catch (e) {
    if (e instanceof Error)
      e.message += `\n(fuzz seed ${seed}; replay the random half with FUZZ_SEED=${seed})`
    throw e
  }
}

const counts = { decodes: 0, clean: 0, frames: 0, streams: 0 }

function fuzzTargets(list: Target[], runs: number, seed: number): void {
  withSeed(seed, (rng) => {
    for (const t of list) {
      const where = `${t.codec.name} v${t.version}`
      for (const s of t.seeds) {
        counts.decodes++
        if (fuzzDecode(t.codec, t.version, s, `${where} seed`)) counts.clean++
      }
      for (let i = 0; i < runs; i++) {
        const input = mutate(rng.pick(t.seeds), rng)
        counts.decodes++
        if (fuzzDecode(t.codec, t.version, input, where)) counts.clean++
      }
      // The same bytes through a decoder they were not made for.
      const other = rng.pick(list)
      counts.decodes++
      fuzzDecode(
        other.codec,
        other.version,
        mutate(rng.pick(t.seeds), rng),
        `${other.codec.name} v${other.version} (foreign)`,
      )
    }
  })
}

describe('fuzz: decoders', () => {
  it(`every request decoder × version, ${REQUEST_RUNS} mutated inputs per seed (fixed and random seed)`, () => {
    fuzzTargets(REQUESTS, REQUEST_RUNS, FIXED_SEED)
    fuzzTargets(REQUESTS, REQUEST_RUNS, RANDOM_SEED)
    // Mutations must not be so wild that nothing decodes, nor so tame that everything does.
    assert.ok(counts.clean > counts.decodes * 0.05, `${counts.clean} of ${counts.decodes} decoded cleanly`)
    assert.ok(counts.clean < counts.decodes * 0.95, `${counts.clean} of ${counts.decodes} decoded cleanly`)
  })

  it(`every response decoder × version, ${RESPONSE_RUNS} mutated inputs per seed`, () => {
    fuzzTargets(RESPONSES, RESPONSE_RUNS, FIXED_SEED)
    fuzzTargets(RESPONSES, RESPONSE_RUNS, RANDOM_SEED)
  })

  it('refuses a 2^31 length in a 50-byte frame at every position, for every request decoder', () => {
    withSeed(FIXED_SEED, () => {
      for (const t of REQUESTS) {
        const seed = t.seeds[t.seeds.length - 1].subarray(0, 50)
        for (let at = 0; at + 4 <= seed.length; at++) {
          const input = Buffer.from(seed)
          input.writeInt32BE(0x7fffffff, at)
          counts.decodes++
          fuzzDecode(t.codec, t.version, input, `${t.codec.name} v${t.version} int32 2^31-1 at ${at}`)
        }
        for (let at = 0; at + 5 <= seed.length; at++) {
          const input = Buffer.from(seed)
          input.set([0xff, 0xff, 0xff, 0xff, 0x07], at)
          counts.decodes++
          fuzzDecode(t.codec, t.version, input, `${t.codec.name} v${t.version} uvarint 2^31-1 at ${at}`)
        }
      }
    })
  })

  it('refuses a records length of 2^31-1 in a small Produce request', () => {
    const produce = API_TABLE[0].request
    const msg = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(8) }] }],
    }
    for (const v of [3, 7, 9, 11]) {
      const bytes = encodeMessage(produce, msg, v)
      assert.ok(bytes.length <= 50)
      if (v >= 9) {
        // ... | compact records length (uvarint 9) | 8 bytes | 3 empty tagged sections
        const at = bytes.length - 3 - 8 - 1
        assert.equal(bytes[at], 9)
        bytes.set([0xff, 0xff, 0xff, 0xff, 0x07], at)
      } else {
        // ... | records length (int32 8) | 8 bytes
        const at = bytes.length - 8 - 4
        assert.equal(bytes.readInt32BE(at), 8)
        bytes.writeInt32BE(0x7fffffff, at)
      }
      const r = new Reader(bytes)
      const { maxAlloc } = maxAllocDuring(() => produce.decode(r, v))
      assert.ok(r.error instanceof DecodeError, `v${v}`)
      assert.ok(maxAlloc <= bytes.length)
    }
  })
})

describe('fuzz: request frames', () => {
  it(`${FRAME_RUNS} mutated request frames per seed through decodeRequestFrame and decodeRequestBody`, () => {
    const header = (apiKey: number, version: number, rng: Rng): Buffer => {
      const w = new Writer(
        requestHeaderCodec.size(
          { requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'fz' },
          2,
          null,
        ),
      )
      requestHeaderCodec.write(
        w,
        { requestApiKey: apiKey, requestApiVersion: version, correlationId: rng.int(1000), clientId: 'fz' },
        2,
      )
      return w.finish()
    }
    for (const seed of [FIXED_SEED, RANDOM_SEED]) {
      withSeed(seed, (rng) => {
        for (let i = 0; i < FRAME_RUNS; i++) {
          let frame: Buffer
          if (rng.int(2) === 0) frame = rng.pick(GOLDEN_FRAMES)
          else {
            const t = rng.pick(REQUESTS)
            const h = header(t.codec.apiKey, t.version, rng)
            // flexible versions use header v2; others v1 (same bytes minus the tag byte)
            const hv = t.version >= t.codec.flexibleMin ? h : h.subarray(0, h.length - 1)
            frame = Buffer.concat([hv, rng.pick(t.seeds)])
          }
          const input = mutate(frame, rng)
          counts.frames++
          const { value: outcome, maxAlloc } = maxAllocDuring(() => {
            try {
              const f = decodeRequestFrame(input)
              if (!f.supported) return 'unsupported'
              const body = decodeRequestBody(f)
              checkBounded(body, input, 'request frame')
              return 'ok'
            } catch (e) {
              if (e instanceof assert.AssertionError) throw e
              assert.ok(
                isTyped(e),
                `request frame ${input.toString('hex')}: threw ${(e as Error)?.stack ?? e}`,
              )
              return 'refused'
            }
          })
          assert.ok(['ok', 'unsupported', 'refused'].includes(outcome))
          assert.ok(
            maxAlloc <= input.length,
            `request frame: allocated ${maxAlloc} for ${input.length} bytes`,
          )
        }
      })
    }
  })
})

describe('fuzz: frame reader', () => {
  it(`${STREAM_RUNS} hostile streams per seed, split anywhere`, () => {
    for (const seed of [FIXED_SEED, RANDOM_SEED]) {
      withSeed(seed, (rng) => {
        for (let i = 0; i < STREAM_RUNS; i++) {
          const max = 64 + rng.int(4096)
          const bodies: Buffer[] = []
          const parts: Buffer[] = []
          let badAt = -1
          const n = 1 + rng.int(8)
          for (let k = 0; k < n; k++) {
            const body = mutate(rng.pick(GOLDEN_FRAMES), rng).subarray(0, max)
            const size = Buffer.alloc(4)
            if (badAt < 0 && rng.int(6) === 0) {
              badAt = k
              size.writeInt32BE(rng.pick([0x7fffffff, -2, -1, -0x80000000, max + 1 + rng.int(1000)]))
            } else size.writeInt32BE(body.length)
            parts.push(size, body)
            if (badAt < 0) bodies.push(body)
          }
          let stream = Buffer.concat(parts)
          const truncated = rng.int(4) === 0
          if (truncated) stream = stream.subarray(0, rng.int(stream.length + 1))
          const reader = new FrameReader({ maxFrameSize: max })
          const got: Buffer[] = []
          let error: unknown = null
          let pos = 0
          counts.streams++
          while (pos < stream.length && error === null) {
            const next = Math.min(stream.length, pos + 1 + rng.int(max))
            try {
              got.push(...reader.push(stream.subarray(pos, next)))
            } catch (e) {
              error = e
            }
            assert.ok(reader.bufferedBytes <= max + 3, `buffered ${reader.bufferedBytes} > ${max} + 3`)
            pos = next
          }
          if (error !== null) {
            assert.ok(error instanceof SamsaError, `frame reader threw ${(error as Error)?.stack ?? error}`)
            assert.ok(
              error.code === InternalErrorCode.FrameTooLarge || error.code === InternalErrorCode.FrameInvalid,
              error.code,
            )
            assert.ok(badAt >= 0)
          }
          // Every frame before the bad size (or the cut) arrives intact and in order.
          assert.ok(got.length <= bodies.length)
          for (let k = 0; k < got.length; k++) assert.ok(got[k].equals(bodies[k]), `frame ${k} differs`)
          if (!truncated && badAt < 0) assert.equal(got.length, bodies.length)
          if (!truncated && badAt >= 0) assert.ok(error !== null, 'a bad size went unnoticed')
        }
      })
    }
  })

  it('ran at least 100,000 hostile inputs in all', (t) => {
    // Runs after the tests above (node:test runs a file's tests in order).
    const total = counts.decodes + counts.frames + counts.streams
    t.diagnostic(
      `${counts.decodes} decodes (${counts.clean} clean), ${counts.frames} frames, ${counts.streams} streams; random seed ${RANDOM_SEED}`,
    )
    assert.ok(total >= 100_000, `only ${total} inputs`)
  })
})
