// localChanges: one metadata change turned into this broker's replica changes, once — removals
// (log deleted only when the topic is gone), leaders, followers, config changes — and nothing for
// topics whose image object did not change.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName, Uuid } from '../../../src/common/ids.ts'
import { makeImage, makePartition, makeTopic } from '../../../src/metadata/image.ts'
import { localChanges } from '../../../src/metadata/local-changes.ts'

const ID_A = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid
const ID_B = 'AAAAAAAAAAAAAAAAAAAAAg' as Uuid

function topic(
  name: string,
  id: Uuid,
  parts: [leader: number, replicas: number[], epoch?: number][],
  configs?: Map<string, string>,
) {
  return makeTopic({
    name: name as TopicName,
    topicId: id,
    configs,
    partitions: parts.map(([leader, replicas, epoch], i) =>
      makePartition({
        partition: i,
        leader,
        leaderEpoch: epoch ?? 0,
        partitionEpoch: 0,
        replicas,
        isr: replicas,
      }),
    ),
  })
}

const BROKER_CONFIGS = { clusterDefault: new Map<string, string>(), perBroker: new Map() }
const image = (version: number, ...topics: ReturnType<typeof topic>[]) =>
  makeImage({ version, clusterId: 'c', controllerId: 1, topics, brokerConfigs: BROKER_CONFIGS })

const names = (xs: readonly { topic: { name: string }; partition: number | { partition: number } }[]) =>
  xs.map((x) => `${x.topic.name}-${typeof x.partition === 'number' ? x.partition : x.partition.partition}`)

describe('localChanges', () => {
  it('at startup: every hosted partition, as leader or follower', () => {
    const c = localChanges(
      null,
      image(
        0,
        topic('a', ID_A, [
          [1, [1]],
          [2, [2, 1]],
          [3, [3]],
        ]),
      ),
      1,
    )
    assert.deepEqual(names(c.leaders), ['a-0'])
    assert.deepEqual(names(c.followers), ['a-1'])
    assert.deepEqual(c.removals, [])
  })

  it('skips an unchanged topic object and an unchanged partition', () => {
    const a = topic('a', ID_A, [[1, [1]]])
    const before = image(1, a)
    assert.deepEqual(localChanges(before, image(2, a), 1), {
      removals: [],
      leaders: [],
      followers: [],
      configChanged: [],
    })
    // Same values in a new object (a store rebuilt it): still nothing.
    const c = localChanges(before, image(2, topic('a', ID_A, [[1, [1]]])), 1)
    assert.equal(c.leaders.length + c.followers.length + c.removals.length, 0)
  })

  it('leadership moves: the new leader epoch makes a follower of the old leader', () => {
    const before = image(1, topic('a', ID_A, [[1, [1, 2]]]))
    const after = image(2, topic('a', ID_A, [[2, [1, 2], 1]]))
    assert.deepEqual(names(localChanges(before, after, 1).followers), ['a-0'])
    assert.deepEqual(names(localChanges(before, after, 2).leaders), ['a-0'])
  })

  it('a deleted topic removes its logs; a recreated one (new id) removes the old and opens the new', () => {
    const before = image(1, topic('a', ID_A, [[1, [1]]]))
    const gone = localChanges(before, image(2), 1)
    assert.deepEqual(
      gone.removals.map((r) => [r.topic.topicId, r.partition, r.deleteLog]),
      [[ID_A, 0, true]],
    )
    const again = localChanges(before, image(2, topic('a', ID_B, [[1, [1]]])), 1)
    assert.deepEqual(
      again.removals.map((r) => [r.topic.topicId, r.deleteLog]),
      [[ID_A, true]],
    )
    assert.deepEqual(
      again.leaders.map((l) => l.topic.topicId),
      [ID_B],
    )
  })

  it('a replica moved away is removed without deleting the log (the topic lives on)', () => {
    const c = localChanges(
      image(1, topic('a', ID_A, [[1, [1]]])),
      image(2, topic('a', ID_A, [[2, [2], 1]])),
      1,
    )
    assert.deepEqual(
      c.removals.map((r) => [r.partition, r.deleteLog]),
      [[0, false]],
    )
  })

  it('reports config changes of hosted topics only', () => {
    const before = image(1, topic('a', ID_A, [[1, [1]]]), topic('b', ID_B, [[2, [2]]]))
    const after = image(
      2,
      topic('a', ID_A, [[1, [1]]], new Map([['retention.ms', '1']])),
      topic('b', ID_B, [[2, [2]]], new Map([['retention.ms', '1']])),
    )
    assert.deepEqual(
      localChanges(before, after, 1).configChanged.map((t) => t.name),
      ['a'],
    )
  })
})
