// Which served APIs ApiVersions advertises. Kafka's ZooKeeper-mode broker advertises the APIs whose
// schema names the "zkBroker" listener, the controller-to-broker ones included (LeaderAndIsr,
// StopReplica, UpdateMetadata, ControlledShutdown, AlterPartition), and never the share
// coordinator's state APIs (ReadShareGroupState 84, WriteShareGroupState 85: "broker" only), which
// only brokers send. Samsa serves 84 and 85 to other brokers and leaves them out of ApiVersions.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CLUSTER_HANDLERS, HANDLERS } from '../../../src/broker/handlers.ts'
import { Registry } from '../../../src/server/registry.ts'

/** The share coordinator's state RPCs: InitializeShareGroupState … ReadShareGroupStateSummary. */
const SHARE_STATE_KEYS = [83, 84, 85, 86, 87]
/** The controller-to-broker APIs of ZooKeeper mode. */
const ZK_CONTROLLER_KEYS = [4, 5, 6, 7, 56]

describe('ApiVersions advertising', () => {
  const registry = new Registry([...HANDLERS, ...CLUSTER_HANDLERS])
  const advertised = new Set(registry.ranges().map((r) => r.apiKey))

  it('serves the share-group state APIs but does not advertise them', () => {
    for (const key of [84, 85]) {
      assert.ok(registry.get(key) !== undefined, `${key} is served`)
      assert.ok(!advertised.has(key), `${key} is not advertised`)
    }
    for (const key of SHARE_STATE_KEYS) assert.ok(!advertised.has(key))
  })

  it("advertises ZooKeeper mode's controller-to-broker APIs, as a ZooKeeper-mode Kafka broker does", () => {
    for (const key of ZK_CONTROLLER_KEYS) assert.ok(advertised.has(key), `${key} is advertised`)
    // A standalone broker (no CLUSTER_HANDLERS) has none of them.
    const standalone = new Set(new Registry(HANDLERS).ranges().map((r) => r.apiKey))
    for (const key of ZK_CONTROLLER_KEYS) assert.ok(!standalone.has(key))
  })

  it('advertises every other served API, at the versions served', () => {
    for (const h of [...HANDLERS, ...CLUSTER_HANDLERS]) {
      if (SHARE_STATE_KEYS.includes(h.apiKey)) continue
      const r = registry.ranges().find((x) => x.apiKey === h.apiKey)
      assert.deepEqual(r, { apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })
    }
  })
})
