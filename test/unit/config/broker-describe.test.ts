import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  BROKER_CONFIG_DEFS,
  type BrokerConfig,
  parseBrokerConfig,
} from '../../../src/config/broker-config.ts'
import { describeBrokerConfigs, validateBrokerConfigUpdate } from '../../../src/config/broker-describe.ts'
import { javaDoubleString, parseValue } from '../../../src/config/config-def.ts'
import { ConfigSource } from '../../../src/config/config-entry.ts'
import { inputsFromObject } from '../../../src/config/config-input.ts'
import { AlterConfigOp, applyConfigOps } from '../../../src/config/config-ops.ts'
import { closestKey, editDistance } from '../../../src/config/suggest.ts'
import { TOPIC_CONFIG_DEFS } from '../../../src/config/topic-config.ts'

function config(
  staticConfig: Record<string, string | number>,
  dynamicDefault: Record<string, string> = {},
  dynamicBroker: Record<string, string> = {},
): BrokerConfig {
  const r = parseBrokerConfig(inputsFromObject(staticConfig), [], {
    dynamicDefault: new Map(Object.entries(dynamicDefault)),
    dynamicBroker: new Map(Object.entries(dynamicBroker)),
  })
  assert.ok(r.ok)
  return r.config
}

describe('describeBrokerConfigs', () => {
  it('lists every broker config with value, source, read-only flag and synonyms', () => {
    const c = config({ 'log.retention.hours': 24, 'node.id': 1 }, {}, { 'log.retention.ms': '1000' })
    const all = describeBrokerConfigs(c, { scope: 'broker' })
    assert.equal(all.length, BROKER_CONFIG_DEFS.size)
    const byName = new Map(all.map((e) => [e.name, e]))
    const hours = byName.get('log.retention.hours')!
    assert.equal(hours.value, '24')
    assert.equal(hours.source, ConfigSource.STATIC_BROKER_CONFIG)
    assert.equal(hours.readOnly, true)
    // Higher-precedence synonyms (log.retention.ms) are dropped when describing .hours.
    assert.deepEqual(
      hours.synonyms.map((s) => [s.name, s.value, s.source]),
      [
        ['log.retention.hours', '24', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
      ],
    )
    const ms = byName.get('log.retention.ms')!
    assert.equal(ms.value, '1000')
    assert.equal(ms.source, ConfigSource.DYNAMIC_BROKER_CONFIG)
    assert.equal(ms.readOnly, false)
    assert.equal(ms.synonyms.length, 3)
    const minutes = byName.get('log.retention.minutes')!
    assert.equal(minutes.value, null)
    assert.equal(minutes.source, ConfigSource.DEFAULT_CONFIG)
    assert.deepEqual(minutes.synonyms, [])
  })

  it('the cluster-default scope lists only dynamic default values', () => {
    const c = config({ 'message.max.bytes': 5 }, { 'message.max.bytes': '7' })
    assert.deepEqual(
      describeBrokerConfigs(c, { scope: 'cluster-default' }).map((e) => [
        e.name,
        e.value,
        e.source,
        e.synonyms.length,
      ]),
      [['message.max.bytes', '7', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, 1]],
    )
  })
})

describe('validateBrokerConfigUpdate', () => {
  it('refuses read-only, unknown and invalid configs with INVALID_REQUEST', () => {
    assert.equal(validateBrokerConfigUpdate(new Map([['log.retention.ms', '5']]), false), null)
    assert.deepEqual(validateBrokerConfigUpdate(new Map([['num.partitions', '5']]), true), {
      errorCode: 42,
      message: 'Cannot update these configs dynamically: Set(num.partitions)',
    })
    assert.deepEqual(validateBrokerConfigUpdate(new Map([['log.retention.msec', '5']]), true), {
      errorCode: 42,
      message: "Unknown broker config name: log.retention.msec. Did you mean 'log.retention.ms'?",
    })
    assert.deepEqual(validateBrokerConfigUpdate(new Map([['message.max.bytes', '-1']]), true), {
      errorCode: 42,
      message: 'Invalid value -1 for configuration message.max.bytes: Value must be at least 0',
    })
  })
})

describe('applyConfigOps', () => {
  const defOf = (n: string) => TOPIC_CONFIG_DEFS.get(n)
  const current = new Map([
    ['retention.ms', '5'],
    ['leader.replication.throttled.replicas', '0:1,1:1'],
  ])

  it('sets, deletes, appends and subtracts', () => {
    const r = applyConfigOps(
      current,
      [
        { name: 'retention.ms', op: AlterConfigOp.DELETE, value: null },
        { name: 'segment.ms', op: AlterConfigOp.SET, value: '100' },
        { name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact,delete' },
        { name: 'leader.replication.throttled.replicas', op: AlterConfigOp.SUBTRACT, value: '0:1' },
      ],
      defOf,
    )
    assert.ok(r.ok)
    assert.deepEqual(Object.fromEntries(r.configs), {
      'leader.replication.throttled.replicas': '1:1',
      'segment.ms': '100',
      // Appended to the default 'delete', without repeating it.
      'cleanup.policy': 'delete,compact',
    })
  })

  it('refuses list ops on non-list configs, duplicate keys, null values and unknown ops', () => {
    assert.deepEqual(
      applyConfigOps(current, [{ name: 'retention.ms', op: AlterConfigOp.APPEND, value: '1' }], defOf),
      {
        ok: false,
        errorCode: 40,
        message: 'Config value append is not allowed for config key: retention.ms',
      },
    )
    const dup = applyConfigOps(
      current,
      [
        { name: 'a', op: 0, value: '1' },
        { name: 'a', op: 1, value: null },
      ],
      defOf,
    )
    assert.deepEqual(dup, { ok: false, errorCode: 42, message: 'Error due to duplicate config keys' })
    assert.equal(applyConfigOps(current, [{ name: 'a', op: 0, value: null }], defOf).ok, false)
    assert.deepEqual(applyConfigOps(current, [{ name: 'a', op: 9, value: 'x' }], defOf), {
      ok: false,
      errorCode: 42,
      message: 'Unknown operations type 9',
    })
  })
})

describe('value parsing details', () => {
  it('prints doubles as Java does', () => {
    assert.equal(javaDoubleString(0.5), '0.5')
    assert.equal(javaDoubleString(1), '1.0')
    assert.equal(javaDoubleString(1e7), '1.0E7')
    assert.equal(javaDoubleString(1.5e-4), '1.5E-4')
    assert.equal(javaDoubleString(Number.MAX_VALUE), '1.7976931348623157E308')
    assert.equal(parseValue('k', 'double', ' 2 ').text, '2.0')
  })

  it('keeps int64 bounds exact and refuses values past them', () => {
    assert.equal(parseValue('k', 'long', '9223372036854775807').text, '9223372036854775807')
    assert.equal(parseValue('k', 'long', '-9223372036854775808').text, '-9223372036854775808')
    assert.throws(() => parseValue('k', 'long', '9223372036854775808'), /Not a number of type LONG/)
    assert.throws(() => parseValue('k', 'int', '2147483648'), /Not a number of type INT/)
    assert.throws(() => parseValue('k', 'short', '32768'), /Not a number of type SHORT/)
    assert.throws(() => parseValue('k', 'int', '1.0'), /Not a number of type INT/)
    assert.deepEqual(parseValue('k', 'list', ' a , b,,c ').value, ['a', 'b', '', 'c'])
    assert.deepEqual(parseValue('k', 'list', '  ').value, [])
  })
})

describe('did-you-mean', () => {
  it('finds close keys and nothing for distant ones', () => {
    const known = [...BROKER_CONFIG_DEFS.keys()]
    assert.equal(closestKey('Num.Partitions', known), 'num.partitions')
    assert.equal(closestKey('log.retention.hour', known), 'log.retention.hours')
    assert.equal(closestKey('socket.reqeust.max.bytes', known), 'socket.request.max.bytes')
    assert.equal(closestKey('completely.different', known), null)
    assert.equal(editDistance('ab', 'ba'), 1)
    assert.equal(editDistance('', 'abc'), 3)
  })
})
