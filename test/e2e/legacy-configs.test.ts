// Kafka 3.x configs that Kafka 4.0 removed, from a real client: librdkafka (confluent-kafka)
// creates a topic with message.timestamp.difference.max.ms and alters message.format.version
// to 0.10.0.0 as a Kafka 3.1 broker would accept; the broker warns in one line each time, describes
// them back, refuses a malformed version, and applies the difference as the before/after bounds of
// CreateTime timestamps (a record an hour old is refused with INVALID_TIMESTAMP). A broker started
// with log.message.format.version in its properties warns and starts.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { python } from '../support/e2e-clients.ts'

interface Outcome {
  alter: string
  alter_bad: string
  described: Record<string, string>
  produce: Record<string, string>
}

describe('Kafka 3.x configs', () => {
  let b: BrokerProcess | undefined
  before(async () => {
    b = await startBrokerProcess({ config: { 'log.message.format.version': '2.8' } })
  })
  after(async () => {
    await b?.stop()
  })

  it('are accepted with a warning, described, and the timestamp difference applied', async () => {
    assert.match(
      b!.output(),
      /log\.message\.format\.version is a Kafka 3\.x config that Kafka 4\.0 removed; accepted and ignored/,
    )
    const r = await python<Outcome>('legacy_configs.py', [b!.bootstrap, 'legacy-t'])
    assert.equal(r.alter, 'ok')
    assert.equal(r.alter_bad, 'INVALID_CONFIG')
    assert.deepEqual(r.described, {
      'message.format.version': '0.10.0.0',
      'message.timestamp.difference.max.ms': '60000',
      'message.timestamp.before.max.ms': '9223372036854775807',
    })
    assert.deepEqual(r.produce, { old: 'INVALID_TIMESTAMP', new: 'ok' })
    const warnings = b!.output().match(/Topic legacy-t: message\.\S+ is a Kafka 3\.x config/g) ?? []
    // Created with the difference; altered with the format version and the difference again.
    assert.equal(warnings.length, 3, b!.output())
  })
})
