// Golden bytes: request frames captured from real clients (scripts/capture-golden.ts) must decode to
// what the client was told to send and re-encode to the identical bytes.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { decodeRequestBody, decodeRequestFrame, encodeRequestFrame } from '../../../src/protocol/frame.ts'
import { BatchProblem, checkBatch, LOG_OVERHEAD } from '../../../src/records/batch-header.ts'

const GOLDEN = 'test/fixtures/golden'
const BATCHES = 'test/fixtures/batches'
const CLIENTS = ['kafkajs', 'kcat', 'kafka-python', 'confluent-kafka']

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Check = { path: string; equals: Json } | { path: string; in: Json[] } | { path: string; notNull: true }

interface Expected {
  client: string
  apiKey: number
  apiName: string
  apiVersion: number
  headerVersion: number
  correlationId: number
  clientId: string
  checks: Check[]
}

/** JSON → decoded-value form: {"$bigint": "6"} becomes 6n. */
function revive(v: Json): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.$bigint === 'string')
    return BigInt(v.$bigint)
  return v
}

/** Values at a path of dotted keys where `key[*]` steps into every element (null arrays: none). */
function select(root: unknown, path: string): unknown[] {
  let cur: unknown[] = [root]
  for (const part of path.split('.')) {
    const each = part.endsWith('[*]')
    const key = each ? part.slice(0, -3) : part
    cur = cur.map((x) => {
      assert.ok(x !== null && typeof x === 'object' && key in x, `${path}: no field ${key}`)
      return (x as Record<string, unknown>)[key]
    })
    if (each) {
      cur = cur.flatMap((x) => {
        if (x === null) return []
        assert.ok(Array.isArray(x), `${path}: ${key} is not an array`)
        return x
      })
    }
  }
  return cur
}

function runCheck(body: unknown, c: Check): void {
  const values = select(body, c.path)
  if (!c.path.includes('[*]')) assert.equal(values.length, 1)
  for (const v of values) {
    if ('equals' in c) assert.deepEqual(v, revive(c.equals), c.path)
    else if ('in' in c)
      assert.ok(
        c.in.map(revive).some((x) => x === v),
        `${c.path}: ${String(v)} not in ${JSON.stringify(c.in)}`,
      )
    else assert.ok(v !== null && v !== undefined, `${c.path} is null`)
  }
}

describe('golden request frames from real clients', () => {
  for (const client of CLIENTS) {
    const dir = join(GOLDEN, client)
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort()
    it(`${client}: has fixtures for ApiVersions, Metadata and Produce`, () => {
      assert.ok(names.some((n) => /-api-versions-v/.test(n)))
      assert.ok(names.some((n) => /-metadata-v/.test(n)))
      assert.ok(names.some((n) => /-produce-v/.test(n)))
    })
    for (const name of names) {
      it(`${client}/${name}`, () => {
        const exp = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Expected
        const raw = readFileSync(join(dir, `${name}.bin`))
        const frame = decodeRequestFrame(raw)
        assert.ok(frame.supported)
        assert.equal(frame.api?.name, exp.apiName)
        assert.equal(frame.apiKey, exp.apiKey)
        assert.equal(frame.apiVersion, exp.apiVersion)
        assert.equal(frame.headerVersion, exp.headerVersion)
        assert.equal(frame.correlationId, exp.correlationId)
        assert.equal(frame.clientId, exp.clientId)
        const body = decodeRequestBody(frame)
        for (const c of exp.checks) runCheck(body, c)
        const again = encodeRequestFrame(
          frame.api!.request,
          body,
          exp.apiVersion,
          exp.correlationId,
          exp.clientId,
        )
        assert.equal(again.readInt32BE(0), raw.length)
        const same = again.subarray(4).equals(raw)
        assert.ok(
          same,
          `re-encoded bytes differ:\n  got  ${again.subarray(4).toString('hex')}\n  want ${raw.toString('hex')}`,
        )
      })
    }
  }
})

describe('captured record batch fixtures', () => {
  const names = readdirSync(BATCHES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
  it('cover kcat with every codec and the other clients', () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      assert.ok(names.includes(`kcat-${codec}`), codec)
    for (const client of ['kafkajs', 'kafka-python', 'confluent-kafka']) {
      assert.ok(
        names.some((n) => n.startsWith(`${client}-`)),
        client,
      )
    }
  })
  for (const name of names) {
    it(`${name}: batches are well formed and hold as many records as were sent`, () => {
      const exp = JSON.parse(readFileSync(join(BATCHES, `${name}.json`), 'utf8')) as { records: unknown[] }
      const buf = readFileSync(join(BATCHES, `${name}.bin`))
      let pos = 0
      let count = 0
      while (pos < buf.length) {
        const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD
        assert.equal(checkBatch(buf, pos, pos + size), BatchProblem.ok)
        count += buf.readInt32BE(pos + 57)
        pos += size
      }
      assert.equal(pos, buf.length)
      assert.equal(count, exp.records.length)
    })
  }
})
