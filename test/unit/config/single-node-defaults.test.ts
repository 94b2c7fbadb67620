// Without ZooKeeper the broker is alone: internal topics' replication defaults become 1 unless set.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'

function parse(obj: Record<string, string>) {
  const r = parseBrokerConfig(inputsFromObject(obj))
  assert.ok(r.ok, JSON.stringify(r))
  return r.config
}

describe('single-node defaults of internal topics', () => {
  it('default to 1 without zookeeper.connect', () => {
    const c = parse({})
    assert.equal(c.offsetsTopicReplicationFactor, 1)
    assert.equal(c.transactionStateLogReplicationFactor, 1)
    assert.equal(c.transactionStateLogMinIsr, 1)
  })
  it("keep Kafka's defaults with zookeeper.connect", () => {
    const c = parse({ 'zookeeper.connect': 'localhost:2181' })
    assert.equal(c.offsetsTopicReplicationFactor, 3)
    assert.equal(c.transactionStateLogReplicationFactor, 3)
    assert.equal(c.transactionStateLogMinIsr, 2)
  })
  it('honour an explicit value', () => {
    assert.equal(parse({ 'offsets.topic.replication.factor': '3' }).offsetsTopicReplicationFactor, 3)
  })
})
