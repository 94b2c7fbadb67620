import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { describeLines, partitionLine, type TopicInfo, topicLine } from '../../../src/cli/topics/describe.ts'
import { parseReplicaAssignment, parseTopicConfigs } from '../../../src/cli/topics/options.ts'

const NONE = {
  underReplicated: false,
  unavailable: false,
  underMinIsr: false,
  atMinIsr: false,
  withOverrides: false,
}

const topic = (over: Partial<TopicInfo> = {}): TopicInfo => ({
  name: 'quickstart-events',
  topicId: 'NPmZHyhbR9y00wMglMH2sg',
  partitions: [
    { partition: 1, leader: 1, replicas: [1, 2], isr: [1] },
    { partition: 0, leader: 2, replicas: [2, 1], isr: [2, 1] },
  ],
  configs: [
    { name: 'segment.bytes', value: '1073741824', isDefault: false },
    { name: 'retention.ms', value: '604800000', isDefault: true },
    { name: 'min.insync.replicas', value: '1', isDefault: true },
  ],
  ...over,
})

describe('kafka-topics.sh --describe output', () => {
  it('prints the topic line with the non-default configs', () => {
    assert.equal(
      topicLine(topic()),
      'Topic: quickstart-events\tTopicId: NPmZHyhbR9y00wMglMH2sg\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: segment.bytes=1073741824',
    )
  })

  it('leaves out a zero topic id, as Kafka does', () => {
    assert.ok(!topicLine(topic({ topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })).includes('TopicId'))
  })

  it('prints partition lines sorted by partition, with none for a missing leader', () => {
    assert.deepEqual(describeLines(topic(), NONE, new Set([1, 2])).slice(1), [
      '\tTopic: quickstart-events\tPartition: 0\tLeader: 2\tReplicas: 2,1\tIsr: 2,1\tElr: N/A\tLastKnownElr: N/A',
      '\tTopic: quickstart-events\tPartition: 1\tLeader: 1\tReplicas: 1,2\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
    ])
    assert.equal(
      partitionLine('t', { partition: 3, leader: -1, replicas: [1], isr: [] }),
      '\tTopic: t\tPartition: 3\tLeader: none\tReplicas: 1\tIsr: \tElr: N/A\tLastKnownElr: N/A',
    )
  })

  it('shows only matching partitions, and no topic line, for the report flags', () => {
    const under = describeLines(topic(), { ...NONE, underReplicated: true }, new Set([1, 2]))
    assert.deepEqual(under, [
      '\tTopic: quickstart-events\tPartition: 1\tLeader: 1\tReplicas: 1,2\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
    ])
    const unavailable = describeLines(topic(), { ...NONE, unavailable: true }, new Set([1]))
    assert.equal(unavailable.length, 1)
    assert.ok(unavailable[0].includes('Partition: 0'))
    assert.equal(describeLines(topic(), { ...NONE, atMinIsr: true }, new Set([1, 2])).length, 1)
  })

  it('--topics-with-overrides prints topic lines of overridden topics only', () => {
    assert.equal(describeLines(topic(), { ...NONE, withOverrides: true }, new Set()).length, 1)
    const plain = topic({ configs: [{ name: 'retention.ms', value: '1', isDefault: true }] })
    assert.deepEqual(describeLines(plain, { ...NONE, withOverrides: true }, new Set()), [])
  })
})

describe('kafka-topics.sh argument parsing', () => {
  it('reads --replica-assignment as Kafka does', () => {
    assert.deepEqual(parseReplicaAssignment('1:2, 3 :4'), [
      [1, 2],
      [3, 4],
    ])
    assert.throws(() => parseReplicaAssignment('1:1'), /may not contain duplicate entries: 1$/)
    assert.throws(
      () => parseReplicaAssignment('1:2,3'),
      /^Error: Partition 1 has different replication factor: \[3\]$/,
    )
    assert.throws(() => parseReplicaAssignment('1:x'), /For input string: "x"/)
  })

  it('reads --config name=value pairs and refuses unknown names and malformed pairs', () => {
    assert.deepEqual(
      [...parseTopicConfigs(['retention.ms = 1000', 'cleanup.policy=compact'])],
      [
        ['retention.ms', '1000'],
        ['cleanup.policy', 'compact'],
      ],
    )
    assert.throws(() => parseTopicConfigs(['retention.ms=']), /must be in the format "key=val"/)
    assert.throws(() => parseTopicConfigs(['a=b=c']), /must be in the format "key=val"/)
    assert.throws(
      () => parseTopicConfigs(['no.such.config=1']),
      /^Error: Unknown topic config name: no.such.config$/,
    )
  })
})
