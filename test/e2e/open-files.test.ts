// A broker process with samsa.log.max.open.segment.files=10 (storage/open-files.ts): kafkajs
// writes one record to each of 40 partitions, the broker then holds 40 .log descriptors and, once
// they have been idle for a sweep period or two, 10; kcat reads every record back through
// reopened files, kafkajs writes to every partition again, and kcat reads all 80.

import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import kafkajs from 'kafkajs'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcatConsumeJson, openLogFiles as logFds, sleep } from '../support/e2e-clients.ts'

const { Kafka, logLevel } = kafkajs
const PARTITIONS = 40
const CAP = 10

describe('open segment files under a cap (broker process, kafkajs and kcat)', () => {
  let b: BrokerProcess | undefined
  const kafka = { producer: null as null | kafkajs.Producer, admin: null as null | kafkajs.Admin }
  after(async () => {
    await kafka.producer?.disconnect().catch(() => {})
    await kafka.admin?.disconnect().catch(() => {})
    await b?.stop()
    b?.cleanup()
  })

  it('closes idle files down to the cap and serves every record through reopened ones', async () => {
    b = await startBrokerProcess({ config: { 'samsa.log.max.open.segment.files': CAP } })
    const pid = b.child.pid!
    const client = new Kafka({ clientId: 'open-files', brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
    kafka.admin = client.admin()
    await kafka.admin.connect()
    await kafka.admin.createTopics({ topics: [{ topic: 'many', numPartitions: PARTITIONS }] })
    kafka.producer = client.producer()
    await kafka.producer.connect()
    const send = (round: string) =>
      kafka.producer!.send({
        topic: 'many',
        acks: -1,
        messages: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: `${round}-${p}` })),
      })
    await send('a')
    assert.equal(logFds(pid, b.logDir), PARTITIONS, 'one open file per written partition')

    // Idle for a full sweep period (5 s) after the period of their last use: closed down to the cap.
    const deadline = Date.now() + 30_000
    while (logFds(pid, b.logDir) > CAP && Date.now() < deadline) await sleep(250)
    assert.equal(logFds(pid, b.logDir), CAP)

    const first = await kcatConsumeJson(b.bootstrap, ['-t', 'many', '-o', 'beginning'])
    assert.deepEqual(
      first.map((m) => m.payload).sort(),
      Array.from({ length: PARTITIONS }, (_, p) => `a-${p}`).sort(),
    )
    await send('b')
    assert.equal(logFds(pid, b.logDir), PARTITIONS, 'reopened on use')
    const all = await kcatConsumeJson(b.bootstrap, ['-t', 'many', '-o', 'beginning'])
    assert.equal(all.length, 2 * PARTITIONS)
    for (const m of all) assert.equal(m.payload, `${m.payload!.startsWith('a') ? 'a' : 'b'}-${m.partition}`)
    assert.ok(all.some((m) => m.payload!.startsWith('b')))
  })
})
