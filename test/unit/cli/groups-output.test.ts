import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  formatGroupListing,
  formatMembers,
  formatOffsets,
  formatResetPlan,
  formatState,
} from '../../../src/cli/consumer-groups/format.ts'
import {
  clampOffset,
  exportCsv,
  parseDateTime,
  parseDuration,
  parseResetCsv,
  parseTopicPartitions,
} from '../../../src/cli/consumer-groups/reset-plan.ts'

describe('kafka-consumer-groups.sh tables', () => {
  it('prints the offsets table with lag and - for what is unknown', () => {
    const out = formatOffsets([
      {
        group: 'g',
        topic: 't',
        partition: 0,
        currentOffset: 3n,
        logEndOffset: 10n,
        consumerId: 'c-1',
        host: '/127.0.0.1',
        clientId: 'cl',
      },
      {
        group: 'g',
        topic: 't',
        partition: 1,
        currentOffset: null,
        logEndOffset: 4n,
        consumerId: '-',
        host: '-',
        clientId: '-',
      },
    ])
    assert.equal(
      out,
      '\n' +
        'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n' +
        'g               t               0          3               10              7               c-1             /127.0.0.1      cl\n' +
        'g               t               1          -               4               -               -               -               -\n',
    )
  })

  it('widens the group, topic, consumer and host columns to their longest value', () => {
    const out = formatOffsets([
      {
        group: 'a-rather-long-group-name',
        topic: 't',
        partition: 0,
        currentOffset: 1n,
        logEndOffset: 1n,
        consumerId: '-',
        host: '-',
        clientId: '-',
      },
    ])
    const [, header, row] = out.split('\n')
    assert.ok(header.startsWith('GROUP                    TOPIC '))
    assert.ok(row.startsWith('a-rather-long-group-name t '))
    assert.ok(row.includes(' 0               -'))
  })

  it('prints members, with assignments when verbose', () => {
    const out = formatMembers(
      [
        {
          group: 'g',
          consumerId: 'm1',
          groupInstanceId: '',
          host: '/h',
          clientId: 'c',
          assignment: [
            { topic: 't', partition: 1 },
            { topic: 't', partition: 0 },
          ],
        },
      ],
      true,
      true,
    )
    assert.equal(
      out,
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\n' +
        'g               m1              /h              c               2               t(0,1)\n',
    )
  })

  it('adds GROUP-INSTANCE-ID when a member is static', () => {
    const out = formatMembers(
      [{ group: 'g', consumerId: 'm1', groupInstanceId: 'i1', host: '/h', clientId: 'c', assignment: [] }],
      false,
      true,
    )
    assert.ok(out.includes('GROUP-INSTANCE-ID'))
  })

  it('prints the state table', () => {
    assert.equal(
      formatState({
        group: 'g',
        coordinator: 'localhost:9092  (1)',
        assignmentStrategy: 'range',
        state: 'Stable',
        members: 2,
      }),
      '\nGROUP                     COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE           #MEMBERS' +
        '\ng                         localhost:9092  (1)       range                Stable          2\n',
    )
  })

  it('prints the reset plan', () => {
    assert.equal(
      formatResetPlan([{ group: 'g', topic: 't', partition: 0, offset: 0n }], 1),
      `\n${'GROUP'.padEnd(30)} ${'TOPIC'.padEnd(30)} ${'PARTITION'.padEnd(10)} ${'NEW-OFFSET'.padEnd(15)}` +
        `\n${'g'.padEnd(30)} ${'t'.padEnd(30)} ${'0'.padEnd(10)} ${'0'.padEnd(15)}\n`,
    )
    assert.equal(formatResetPlan([], 0), '\n')
  })

  it('lists groups with state and type columns', () => {
    assert.equal(
      formatGroupListing([{ id: 'g1', type: 'classic', state: 'Empty' }], false, true),
      `${'GROUP'.padEnd(25)} ${'STATE'.padEnd(20)}\n${'g1'.padEnd(25)} ${'Empty'.padEnd(20)}\n`,
    )
  })
})

describe('kafka-consumer-groups.sh reset plans', () => {
  it('reads --to-datetime as UTC unless a zone is given', () => {
    assert.equal(parseDateTime('2024-01-02T03:04:05.678'), Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    assert.equal(parseDateTime('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    assert.equal(parseDateTime('2024-01-02T03:04:05.678+01:00'), Date.UTC(2024, 0, 2, 2, 4, 5, 678))
    assert.equal(parseDateTime('2024-01-02T03:04:05.678-0130'), Date.UTC(2024, 0, 2, 4, 34, 5, 678))
    assert.throws(() => parseDateTime('2024-01-02'), /does not contain a 'T'/)
    assert.throws(() => parseDateTime('2024-02-30T00:00:00.000'), /Unparseable date/)
  })

  it('reads --by-duration as java.time.Duration does', () => {
    assert.equal(parseDuration('PT1H'), 3600000)
    assert.equal(parseDuration('P1DT2H3M4.5S'), ((24 + 2) * 60 + 3) * 60000 + 4500)
    assert.equal(parseDuration('-PT10S'), -10000)
    assert.throws(() => parseDuration('1h'), /cannot be parsed/)
    assert.throws(() => parseDuration('PT'), /cannot be parsed/)
  })

  it('reads topic:partitions arguments and plan files', () => {
    assert.deepEqual(parseTopicPartitions('t:0,2'), [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 2 },
    ])
    assert.throws(() => parseTopicPartitions('t:x'), /Invalid partition 'x' specified in topic arg 't:x'/)
    assert.deepEqual(parseResetCsv('t,0,5\nt,1,6\n', 'g'), [
      { group: 'g', topic: 't', partition: 0, offset: 5n },
      { group: 'g', topic: 't', partition: 1, offset: 6n },
    ])
    assert.deepEqual(parseResetCsv('g2,t,0,5', null), [{ group: 'g2', topic: 't', partition: 0, offset: 5n }])
    assert.equal(exportCsv([{ group: 'g', topic: 't', partition: 0, offset: 5n }], true), 't,0,5\n')
    assert.equal(exportCsv([{ group: 'g', topic: 't', partition: 0, offset: 5n }], false), 'g,t,0,5\n')
  })

  it("keeps requested offsets inside the log, with Kafka's warnings", () => {
    const warnings: string[] = []
    const w = (m: string) => warnings.push(m)
    const tp = { topic: 't', partition: 0 }
    assert.equal(clampOffset(tp, 50n, 2n, 10n, w), 10n)
    assert.equal(clampOffset(tp, 1n, 2n, 10n, w), 2n)
    assert.equal(clampOffset(tp, 5n, 2n, 10n, w), 5n)
    assert.deepEqual(warnings, [
      'New offset (50) is higher than latest offset for topic partition t-0. Value will be set to 10',
      'New offset (1) is lower than earliest offset for topic partition t-0. Value will be set to 2',
    ])
  })
})
