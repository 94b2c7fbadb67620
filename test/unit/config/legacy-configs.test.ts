// Kafka 3.x configs Kafka 4.0 removed (src/config/legacy-configs.ts): accepted, validated as 3.x
// did, warned about, described with 3.x defaults, and the timestamp difference applied as the
// before/after bounds where those are left at their defaults (KIP-937's transition rule).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type BrokerConfigLayers, parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import { legacyConfigWarning } from '../../../src/config/legacy-configs.ts'
import {
  describeTopicConfigs,
  resolveTopicConfig,
  validateTopicConfigs,
} from '../../../src/config/topic-config.ts'

const layers = (s: Record<string, string> = {}): BrokerConfigLayers => ({
  static: new Map(Object.entries(s)),
  dynamicDefault: new Map(),
  dynamicBroker: new Map(),
})
const topic = (o: Record<string, string>) => new Map(Object.entries(o))

describe('Kafka 3.x configs', () => {
  it('map the timestamp difference onto bounds left at their defaults, topic or broker', () => {
    const t = resolveTopicConfig(topic({ 'message.timestamp.difference.max.ms': '5000' }), layers())
    assert.equal(t.messageTimestampBeforeMaxMs, 5000)
    assert.equal(t.messageTimestampAfterMaxMs, 5000)
    const explicit = resolveTopicConfig(
      topic({ 'message.timestamp.difference.max.ms': '5000', 'message.timestamp.after.max.ms': '7' }),
      layers(),
    )
    assert.equal(explicit.messageTimestampAfterMaxMs, 7)
    assert.equal(explicit.messageTimestampBeforeMaxMs, 5000)
    const broker = resolveTopicConfig(
      new Map(),
      layers({ 'log.message.timestamp.difference.max.ms': '9000' }),
    )
    assert.equal(broker.messageTimestampBeforeMaxMs, 9000)
    const none = resolveTopicConfig(new Map(), layers())
    assert.equal(none.messageTimestampBeforeMaxMs, Number('9223372036854775807'))
  })

  it('validate as Kafka 3.x does and describe with its defaults', () => {
    assert.equal(validateTopicConfigs(topic({ 'message.format.version': '0.10.0.0' })), null)
    assert.equal(validateTopicConfigs(topic({ 'message.format.version': '2.8-IV1' })), null)
    assert.match(
      validateTopicConfigs(topic({ 'message.format.version': 'x' }))!.message,
      /not a valid version/,
    )
    assert.match(
      validateTopicConfigs(topic({ 'message.timestamp.difference.max.ms': '-1' }))!.message,
      /Value must be at least 0/,
    )
    const [e] = describeTopicConfigs(new Map(), layers(), { keys: ['message.format.version'] })
    assert.equal(e!.value, '3.0-IV1')
  })

  it('warn in one line naming the key, and start a broker', () => {
    assert.equal(legacyConfigWarning('retention.ms'), null)
    const r = parseBrokerConfig(
      inputsFromObject({
        'log.dirs': '/tmp/x',
        'log.message.format.version': '2.8',
        'log.message.timestamp.difference.max.ms': '1000',
      }),
    )
    assert.ok(r.ok)
    const lines = r.warnings.map((w) => w.message)
    assert.ok(
      lines.some((l) => l.startsWith('log.message.format.version is a Kafka 3.x config')),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) => l.includes('log.message.timestamp.difference.max.ms is a Kafka 3.x config')),
      lines.join('\n'),
    )
  })
})
