// The short bounded fault run inside `npm test` (issue 12): the same harness as `npm run faults`
// (test/faults/harness.ts) with a fixed schedule and seed instead of a random one — a partition's
// leader killed, a broker paused past its ZooKeeper session (an acks=all write waiting in the
// zombie's socket must not be acknowledged when it wakes up), a leader cut from the other brokers
// (not from ZooKeeper) with an acks=all probe that it must refuse, a quick ZooKeeper restart — so
// every change to the broker faces the faults that lost data in other systems. It fails on any
// acknowledged record lost, duplicated or misplaced, on replicas that diverge, and on a guarantee a
// nemesis saw broken directly. Without root (or ip/iptables) the cluster runs on loopback and the
// partition is left out with the reason printed; without ZooKeeper the whole run is skipped.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { zookeeperAvailable } from '../support/zookeeper.ts'
import { checkHistory } from './checker.ts'
import { runFaults, withOffsets } from './harness.ts'
import type { NemesisName } from './nemeses.ts'
import { netnsUnavailable } from './netns.ts'

const SCHEDULE: readonly NemesisName[] = [
  'kill-leader',
  'pause-past-session',
  'partition-leader',
  'zk-restart',
]
const SEED = 20260512

test('faults (short): nothing acknowledged is lost through kills, a pause past the session and a partition', {
  skip: !zookeeperAvailable() && 'ZooKeeper is not installed',
  timeout: 240000,
}, async () => {
  const noNet = netnsUnavailable()
  if (noNet !== null)
    console.log(`faults (short): ${noNet}: partition-leader is skipped, the rest runs on loopback`)
  const lines: string[] = []
  const t0 = Date.now()
  const r = await runFaults({
    schedule: SCHEDULE,
    seed: SEED,
    net: noNet === null ? 'netns' : 'loopback',
    // The kafkajs and consumer-group workloads have their own test (workloads.test.ts).
    workloads: false,
    log: (line) => {
      lines.push(line)
      console.log(line)
    },
  })
  console.log(r.table)
  console.log(`faults (short): ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${SEED}, ${r.net}`)
  const t = r.verdict.total
  const why = `\n${lines.join('\n')}\n${r.table}`
  assert.equal(
    t.runs,
    SCHEDULE.length - (r.net === 'netns' ? 0 : 1),
    `every nemesis of the schedule ran${why}`,
  )
  assert.ok(t.acknowledged > 1000, `the producer kept writing through the faults${why}`)
  assert.equal(r.producerDied, false, `the idempotent producer hit no fatal error${why}`)
  assert.deepEqual(r.violations, [], `no nemesis saw a guarantee broken${why}`)
  assert.deepEqual(
    { lost: t.lost, duplicated: t.duplicated, divergent: t.divergent },
    { lost: 0, duplicated: 0, divergent: 0 },
    `nothing acknowledged lost or duplicated, no divergence${why}`,
  )
  assert.equal(r.code, 0, why)
})

test('faults: a record acknowledged without an offset must still be in its partition, once', () => {
  // As librdkafka reports an implicit ack: success, partition known, offset null.
  const implicit = { i: 2, p: 0, offset: null as unknown as number, t: 3 }
  const acks = [{ i: 1, p: 0, offset: 0, t: 1 }, implicit]
  const log = [
    { partition: 0, offset: 0, key: 'k-1' },
    { partition: 0, offset: 1, key: 'k-2' },
  ]
  const quiet = () => {}
  assert.deepEqual(checkHistory(withOffsets(acks, log, quiet), log).lost, [])
  assert.deepEqual(checkHistory(withOffsets(acks, log, quiet), log).misplaced, [])
  const gone = checkHistory(withOffsets(acks, log.slice(0, 1), quiet), log.slice(0, 1))
  assert.deepEqual(
    gone.lost.map((a) => a.i),
    [2],
  )
  const elsewhere = [log[0]!, { partition: 1, offset: 0, key: 'k-2' }]
  assert.deepEqual(
    checkHistory(withOffsets(acks, elsewhere, quiet), elsewhere).misplaced.map((a) => a.i),
    [2],
  )
  const twice = [...log, { partition: 0, offset: 2, key: 'k-2' }]
  assert.deepEqual(checkHistory(withOffsets(acks, twice, quiet), twice).duplicated, ['k-2'])
})
