// Unit tests of the web console's pure parts: Kafka's murmur2 partitioner (the test producer's
// choice for keyed messages), consumer-protocol assignment decoding, basic auth against SCRAM
// credentials and PLAIN users, the samsa.http.console.* keys, and the time series' rates.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import { BasicAuth } from '../../../src/observability/console/basic-auth.ts'
import type { ConsoleDeps } from '../../../src/observability/console/console-services.ts'
import { decodeAssignment } from '../../../src/observability/console/groups-view.ts'
import { murmur2, murmur2Partition } from '../../../src/observability/console/murmur2.ts'
import { ALL_TOPICS, TimeSeries } from '../../../src/observability/console/time-series.ts'
import { RequestMetrics } from '../../../src/observability/request-metrics.ts'
import { TopicMetrics } from '../../../src/observability/topic-metrics.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { consumerProtocolAssignmentCodec } from '../../../src/protocol/generated/records/consumer-protocol-assignment.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import {
  credentialFromPassword,
  formatScramCredential,
  SCRAM_MECHANISMS,
} from '../../../src/security/scram-credential.ts'

describe('console: murmur2 partitioner', () => {
  it("matches Kafka's murmur2 on its published test vectors", () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    for (const [s, want] of cases) assert.equal(murmur2(Buffer.from(s)), want, s)
  })
  it('gives a partition in range from the positive hash', () => {
    for (const n of [1, 3, 7]) {
      const p = murmur2Partition(Buffer.from('user-1'), n)
      assert.ok(p >= 0 && p < n)
      assert.equal(p, (murmur2(Buffer.from('user-1')) & 0x7fffffff) % n)
    }
  })
})

describe('console: assignment decoding', () => {
  it('decodes a consumer-protocol assignment with its version prefix', () => {
    const body = encodeMessage(
      consumerProtocolAssignmentCodec,
      { assignedPartitions: [{ topic: 't' as TopicName, partitions: [2, 0] }], userData: null },
      1,
    )
    const buf = Buffer.concat([Buffer.from([0, 1]), body])
    assert.deepEqual(decodeAssignment(buf), [{ topic: 't', partitions: [0, 2] }])
    assert.equal(decodeAssignment(Buffer.alloc(0)), null)
    assert.equal(decodeAssignment(Buffer.from([0, 0, 0, 0, 0, 9])), null)
  })
})

describe('console: basic auth', () => {
  const header = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`
  const m = SCRAM_MECHANISMS[1]!
  const cred = formatScramCredential(credentialFromPassword(m, 'alice-secret', 4096))
  let lookups = 0
  const auth = new BasicAuth({
    plain: new Map([['bob', 'bob-secret']]),
    scram: async (user) => {
      lookups++
      return new Map(user === 'alice' ? [[m.name, cred]] : [])
    },
  })

  it('accepts a SCRAM user with the right password, refuses a wrong one', async () => {
    assert.equal(await auth.check(header('alice', 'alice-secret')), 'alice')
    assert.equal(await auth.check(header('alice', 'wrong')), null)
    assert.equal(await auth.check(header('nobody', 'alice-secret')), null)
  })
  it('accepts a PLAIN JAAS user', async () => {
    assert.equal(await auth.check(header('bob', 'bob-secret')), 'bob')
    assert.equal(await auth.check(header('bob', 'bob')), null)
  })
  it('refuses missing and malformed headers', async () => {
    assert.equal(await auth.check(undefined), null)
    assert.equal(await auth.check('Bearer x'), null)
    assert.equal(await auth.check(`Basic ${Buffer.from('nocolon').toString('base64')}`), null)
  })
  it('remembers a verified password instead of deriving it again', async () => {
    const before = lookups
    assert.equal(await auth.check(header('alice', 'alice-secret')), 'alice')
    assert.equal(lookups, before)
  })
})

describe('console: config keys', () => {
  const parse = (o: Record<string, string>) => parseBrokerConfig(inputsFromObject(o, 'server.properties'), [])
  it('defaults to writable and no authentication', () => {
    const r = parse({})
    assert.ok(r.ok)
    assert.equal(r.config.values.get('samsa.http.console.read.only')?.value, false)
    assert.equal(r.config.values.get('samsa.http.console.auth')?.value, 'none')
  })
  it('refuses an unknown auth mode with a line naming the key', () => {
    const r = parse({ 'samsa.http.console.auth': 'digest' })
    assert.ok(!r.ok)
    assert.match(JSON.stringify(r.errors), /samsa\.http\.console\.auth/)
  })
})

describe('console: time series', () => {
  it('turns counter deltas into per-second rates, per topic and for all topics', async () => {
    let now = 1_000_000
    const topics = new TopicMetrics(() => null)
    const requests = new RequestMetrics()
    const deps = {
      topics,
      requests,
      now: () => now,
      services: {
        groupCoordinator: { listGroups: () => ({ errorCode: 0, groups: [] }) },
        replicaManager: { partition: () => null },
      },
    } as unknown as ConsoleDeps
    const ts = new TimeSeries(deps, 2000, 3)
    await ts.sample()
    const batch = buildBatch([{ value: 'a' }, { value: 'b' }])
    topics.produced([{ name: 't', partitionData: [{ records: batch }] }], [{ errorCode: 0 }])
    requests.observe('Produce', 0, 9, {}, 100, null, performance.now() - 4, 1)
    now += 2000
    await ts.sample()
    const s = ts.snapshot()
    assert.deepEqual(s.times, [1002])
    assert.deepEqual(s.messagesIn.t, [1])
    assert.deepEqual(s.messagesIn[ALL_TOPICS], [1])
    assert.deepEqual(s.bytesIn.t, [batch.length / 2])
    assert.deepEqual(s.requestRate.Produce, [0.5])
    assert.ok(s.requestAvgMs.Produce![0]! >= 4)
    for (let i = 0; i < 5; i++) {
      now += 2000
      await ts.sample()
    }
    assert.equal(ts.snapshot().times.length, 3, 'keeps only the last samples')
  })
})
