// KIP-392's choice of a preferred read replica (src/replication/replica-selector.ts) as Kafka's
// RackAwareReplicaSelector and ReplicaManager.findPreferredReadReplica make it, and the
// replica.selector.class config that turns it on (anything but Kafka's rack-aware class refused).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseBrokerConfig } from '../../../src/config/broker-config.ts'
import { formatProblem, inputsFromProperties } from '../../../src/config/config-input.ts'
import { makeImage } from '../../../src/metadata/image.ts'
import {
  compareCaughtUp,
  type FollowerView,
  liveRacks,
  type PreferredReplicaInput,
  preferredReadReplica,
  RACK_AWARE_REPLICA_SELECTOR,
  type ReplicaView,
  rackAwareReplicaSelector,
  replicaSelectorFor,
} from '../../../src/replication/replica-selector.ts'

const view = (id: number, rack: string | null, leo: bigint, since = 0): ReplicaView => ({
  id,
  rack,
  logEndOffset: leo,
  timeSinceLastCaughtUpMs: since,
})
const client = (rackId: string) => ({ rackId, listener: null })

describe('RackAwareReplicaSelector', () => {
  const leader = view(1, 'r1', 100n)
  const all = [leader, view(2, 'r2', 100n), view(3, 'r3', 90n), view(4, 'r3', 95n)]

  it('picks the leader for a client without a rack', () => {
    assert.equal(rackAwareReplicaSelector.select(client(''), leader, all), leader)
  })

  it('picks the leader when no replica is in the client rack', () => {
    assert.equal(rackAwareReplicaSelector.select(client('r9'), leader, all), leader)
  })

  it('picks the leader when it is in the client rack, even if a follower there is as far', () => {
    const withTwin = [...all, view(5, 'r1', 100n)]
    assert.equal(rackAwareReplicaSelector.select(client('r1'), leader, withTwin), leader)
  })

  it('picks the follower of the client rack', () => {
    assert.equal(rackAwareReplicaSelector.select(client('r2'), leader, all).id, 2)
  })

  it('picks the most caught-up follower among several in the rack (largest log end)', () => {
    assert.equal(rackAwareReplicaSelector.select(client('r3'), leader, all).id, 4)
  })

  it('compares racks exactly (case matters, as in Kafka)', () => {
    assert.equal(rackAwareReplicaSelector.select(client('R2'), leader, all), leader)
  })

  it('breaks ties by the time since last caught up, then by the larger broker id', () => {
    assert.ok(compareCaughtUp(view(2, null, 10n, 5), view(3, null, 10n, 50)) > 0)
    assert.ok(compareCaughtUp(view(2, null, 10n, 5), view(3, null, 10n, 5)) < 0)
    assert.ok(compareCaughtUp(view(2, null, 11n, 500), view(3, null, 10n, 0)) > 0)
    const tied = [leader, view(2, 'r2', 50n), view(6, 'r2', 50n)]
    assert.equal(rackAwareReplicaSelector.select(client('r2'), leader, tied).id, 6)
  })
})

describe('preferredReadReplica (findPreferredReadReplica)', () => {
  const racks = new Map<number, string | null>([
    [1, 'r1'],
    [2, 'r2'],
    [3, 'r3'],
  ])
  const follower = (id: number, leo: bigint, logStart = 0n): FollowerView => ({
    id,
    logEndOffset: leo,
    logStartOffset: logStart,
    timeSinceLastCaughtUpMs: 0,
  })
  const input = (o: Partial<PreferredReplicaInput> = {}): PreferredReplicaInput => ({
    selector: rackAwareReplicaSelector,
    client: client('r2'),
    fetchOffset: 10n,
    leaderId: 1,
    leaderLogEndOffset: 20n,
    isr: [1, 2, 3],
    followers: [follower(2, 20n), follower(3, 20n)],
    rackOf: (id) => (racks.has(id) ? racks.get(id)! : undefined),
    ...o,
  })

  it('names the ISR follower of the client rack', () => {
    assert.equal(preferredReadReplica(input()), 2)
    assert.equal(preferredReadReplica(input({ client: client('r3') })), 3)
  })

  it('answers -1 (the leader) when the leader is the choice', () => {
    assert.equal(preferredReadReplica(input({ client: client('r1') })), -1)
    assert.equal(preferredReadReplica(input({ client: client('') })), -1)
  })

  it('leaves out followers outside the ISR', () => {
    assert.equal(preferredReadReplica(input({ isr: [1, 3] })), -1)
  })

  it('leaves out followers whose log does not reach the fetch offset, or starts after it', () => {
    assert.equal(preferredReadReplica(input({ followers: [follower(2, 9n)] })), -1)
    assert.equal(preferredReadReplica(input({ followers: [follower(2, 10n)] })), 2)
    assert.equal(preferredReadReplica(input({ followers: [follower(2, 20n, 11n)] })), -1)
    assert.equal(preferredReadReplica(input({ followers: [follower(2, 20n, 10n)] })), 2)
    // An unknown log end (no fetch from that follower yet) is no candidate.
    assert.equal(preferredReadReplica(input({ followers: [follower(2, -1n)] })), -1)
  })

  it('leaves out followers whose broker is not live on the listener', () => {
    assert.equal(preferredReadReplica(input({ rackOf: (id) => (id === 2 ? undefined : racks.get(id)) })), -1)
  })
})

describe('liveRacks', () => {
  const image = makeImage({
    version: 1,
    clusterId: 'c',
    controllerId: 1,
    brokers: new Map([
      [
        1,
        {
          id: 1,
          host: 'h',
          port: 1,
          rack: 'r1',
          endpoints: [
            { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'h', port: 1 },
            { listenerName: 'INTERNAL', securityProtocol: 'PLAINTEXT', host: 'h', port: 2 },
          ],
        },
      ],
      [
        2,
        {
          id: 2,
          host: 'h',
          port: 3,
          rack: null,
          endpoints: [{ listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'h', port: 3 }],
        },
      ],
    ]),
  })

  it('lists the live brokers with an endpoint on the listener (any case), with their racks', () => {
    assert.deepEqual(
      [...liveRacks(image, 'plaintext')],
      [
        [1, 'r1'],
        [2, null],
      ],
    )
    assert.deepEqual([...liveRacks(image, 'INTERNAL')], [[1, 'r1']])
  })

  it('lists every live broker when no broker has the listener', () => {
    assert.equal(liveRacks(image, 'NOPE').size, 2)
    assert.equal(liveRacks(image, null).size, 2)
  })
})

describe('replica.selector.class', () => {
  const parse = (text: string) => parseBrokerConfig(inputsFromProperties(text, 'server.properties'))

  it('defaults to null: the leader serves consumers', () => {
    const r = parse('')
    assert.ok(r.ok)
    assert.equal(r.config.values.get('replica.selector.class')?.value, null)
    assert.equal(replicaSelectorFor(null), null)
    assert.equal(replicaSelectorFor(''), null)
  })

  it("accepts Kafka's RackAwareReplicaSelector", () => {
    const r = parse(`replica.selector.class=${RACK_AWARE_REPLICA_SELECTOR}\n`)
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatProblem).join('|'))
    const v = r.config.values.get('replica.selector.class')?.value as string
    assert.equal(replicaSelectorFor(v), rackAwareReplicaSelector)
  })

  it('refuses any other class in one line naming it', () => {
    const r = parse('replica.selector.class=com.example.MySelector\n')
    assert.equal(r.ok, false)
    const lines = r.ok ? [] : r.errors.map(formatProblem)
    assert.equal(lines.length, 1)
    assert.match(lines[0], /com\.example\.MySelector/)
    assert.match(lines[0], /not supported/)
    assert.doesNotMatch(lines[0], /\n/)
    assert.throws(() => replicaSelectorFor('com.example.MySelector'), /not supported/)
  })
})
