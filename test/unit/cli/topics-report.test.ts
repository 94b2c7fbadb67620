// kafka-topics.sh --describe report flags over a described cluster where broker 3 is down: which
// partitions each flag lists (Kafka's TopicCommand tests), that the topic line is left out, and that
// a leader missing from the live brokers shows as none.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  type DescribeFlags,
  describeLines,
  isReporting,
  type PartitionInfo,
  partitionLine,
  partitionMatches,
  type TopicInfo,
  topicMinIsr,
} from '../../../src/cli/topics/describe.ts'

const NONE: DescribeFlags = {
  underReplicated: false,
  unavailable: false,
  underMinIsr: false,
  atMinIsr: false,
  withOverrides: false,
}
const LIVE = new Set([1, 2])

// RF 3 with min.insync.replicas=2; broker 3 is not live.
const PARTITIONS: PartitionInfo[] = [
  { partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3] }, // healthy (ISR not yet shrunk)
  { partition: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 1] }, // under-replicated, at min ISR
  { partition: 2, leader: 1, replicas: [1, 2, 3], isr: [1] }, // under min ISR
  { partition: 3, leader: -1, replicas: [3], isr: [3] }, // offline: no leader
  { partition: 4, leader: 3, replicas: [3, 1, 2], isr: [3, 1, 2] }, // leader on a dead broker
]

const topic = (minIsr: string | null = '2'): TopicInfo => ({
  name: 'events',
  topicId: 'NPmZHyhbR9y00wMglMH2sg',
  partitions: [...PARTITIONS].reverse(),
  configs: [
    { name: 'cleanup.policy', value: 'delete', isDefault: true },
    ...(minIsr === null ? [] : [{ name: 'min.insync.replicas', value: minIsr, isDefault: minIsr === '1' }]),
  ],
})

const listed = (flags: Partial<DescribeFlags>, t = topic()) =>
  describeLines(t, { ...NONE, ...flags }, LIVE).map((l) => Number(/\tPartition: (\d+)/.exec(l)![1]))

describe('kafka-topics.sh --describe report flags', () => {
  it('--under-replicated-partitions: ISR smaller than the replicas', () => {
    assert.deepEqual(listed({ underReplicated: true }), [1, 2])
  })

  it('--unavailable-partitions: no leader, or a leader that is not a live broker', () => {
    assert.deepEqual(listed({ unavailable: true }), [3, 4])
  })

  it("--under-min-isr-partitions: no live leader, or ISR below the topic's min.insync.replicas", () => {
    assert.deepEqual(listed({ underMinIsr: true }), [2, 3, 4])
    // With the default of 1 only leaderless partitions are under it.
    assert.deepEqual(listed({ underMinIsr: true }, topic('1')), [3, 4])
  })

  it('--at-min-isr-partitions: ISR size equal to min.insync.replicas', () => {
    assert.deepEqual(listed({ atMinIsr: true }), [1])
    assert.deepEqual(listed({ atMinIsr: true }, topic('1')), [2, 3])
  })

  it('lists a partition matching any of several flags once, in partition order', () => {
    assert.deepEqual(listed({ underReplicated: true, unavailable: true }), [1, 2, 3, 4])
  })

  it('prints no topic line with a report flag, and nothing for a healthy topic', () => {
    const lines = describeLines(topic(), { ...NONE, underReplicated: true }, LIVE)
    assert.ok(lines.every((l) => l.startsWith('\tTopic: events\tPartition: ')))
    const healthy: TopicInfo = { ...topic(), partitions: [PARTITIONS[0]!] }
    for (const flag of ['underReplicated', 'unavailable', 'underMinIsr', 'atMinIsr'] as const)
      assert.deepEqual(describeLines(healthy, { ...NONE, [flag]: true }, LIVE), [])
    // Without a flag: the topic line, then every partition.
    const all = describeLines(topic(), NONE, LIVE)
    assert.ok(all[0]!.startsWith('Topic: events\tTopicId: '))
    assert.equal(all.length, 1 + PARTITIONS.length)
  })

  it('shows a leader that is not a live broker as none, as Kafka does', () => {
    assert.equal(
      partitionLine('events', PARTITIONS[4]!, LIVE),
      '\tTopic: events\tPartition: 4\tLeader: none\tReplicas: 3,1,2\tIsr: 3,1,2\tElr: N/A\tLastKnownElr: N/A',
    )
    assert.ok(partitionLine('events', PARTITIONS[4]!).includes('\tLeader: 3\t'))
  })

  it("reads the topic's effective min.insync.replicas, 1 when it is not described", () => {
    assert.equal(topicMinIsr(topic('2')), 2)
    assert.equal(topicMinIsr(topic(null)), 1)
    assert.equal(isReporting(NONE), false)
    assert.equal(isReporting({ ...NONE, atMinIsr: true }), true)
    assert.equal(partitionMatches(PARTITIONS[0]!, NONE, LIVE, 2), false)
  })
})
