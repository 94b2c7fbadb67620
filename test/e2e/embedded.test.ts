// The embedded API as a user's test would use it: `import { startBroker } from 'samsa'` (the
// package's own exports, i.e. the built dist/), a broker on port 0 inside this process, driven by
// kafkajs, then stop().

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { type RunningBroker, silentLogger, startBroker } from 'samsa'

describe('embedded broker (import from "samsa")', () => {
  let broker: RunningBroker
  let dir: string

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-embedded-'))
    broker = await startBroker({ port: 0, logDirs: [join(dir, 'data')], logger: silentLogger })
  })
  after(async () => {
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves kafkajs: create a topic, produce, read the offsets back', async () => {
    assert.ok(broker.port > 0)
    const kafka = new Kafka({
      clientId: 'embedded-test',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    })
    const admin = kafka.admin()
    const producer = kafka.producer()
    try {
      await admin.connect()
      assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] }), true)
      await producer.connect()
      const acks = await producer.send({
        topic: 'orders',
        messages: [
          { key: 'a', value: 'one', partition: 0 },
          { key: 'b', value: 'two', partition: 0 },
          { key: 'c', value: 'three', partition: 1 },
        ],
      })
      assert.deepEqual(acks.map((a) => [a.partition, a.baseOffset]).sort(), [
        [0, '0'],
        [1, '0'],
      ])
      const offsets = await admin.fetchTopicOffsets('orders')
      assert.deepEqual(offsets.map((o) => [o.partition, o.high]).sort(), [
        [0, '2'],
        [1, '1'],
      ])
    } finally {
      await producer.disconnect()
      await admin.disconnect()
    }
  })
})
