// One seeded run of the replication simulation: a random sequence of produces (acks=all and
// acks=1 from plain producers, acks=all from one idempotent producer per partition that retries a
// batch until it is acknowledged), clock steps, broker crashes and restarts, cut and healed links,
// clean leader moves, DeleteRecords on the leader and, in some seeds, unclean elections; with
// `oneWay`, also one-way packet drops between brokers, the controller running on one of them (so
// that its AlterPartition answers and metadata are held by a drop too). The invariants (invariants.ts) are
// checked after every step; then the faults stop and the run must converge (every replica
// identical, every acknowledged batch there, each idempotent batch exactly once, in order).
// The same seed gives the same run, step for step (the trace is returned to prove it).

import type { Uuid } from '../../../../src/common/ids.ts'
import { ErrorCode, errorName } from '../../../../src/protocol/generated/error-codes.ts'
import { BatchOffsets } from '../../../../src/records/batch-header.ts'
import { buildBatch } from '../../../../src/records/builder.ts'
import { prng, SimCluster } from './cluster.ts'
import { converged, InvariantChecker } from './invariants.ts'

export interface RunOptions {
  seed: number
  steps: number
  /** Force unclean elections on or off (default: about one seed in three). */
  unclean?: boolean
  /** One-way drops, the controller on broker 1 (runs without keep their seeds' schedules). */
  oneWay?: boolean
}

export interface RunResult {
  trace: string[]
  stats: Record<string, number>
}

const TOPIC = 'sim'
const TOPIC_ID = Buffer.from('sim-topic-id-000').toString('base64url') as Uuid

const RETRIABLE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  // A broker whose metadata a one-way drop holds back does not know the topic yet (retriable).
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
])

interface IdempotentProducer {
  partition: number
  pid: bigint
  epoch: number
  seq: number
  /** The batch being sent until acknowledged (retries send the same one). */
  batch: Buffer | null
  inFlight: boolean
  generation: number
}

export async function runSeed(o: RunOptions): Promise<RunResult> {
  const random = prng(o.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const unclean = o.unclean ?? random() < 0.35
  const minIsr = random() < 0.75 ? 2 : 1
  const sim = new SimCluster({
    random,
    lagMs: 1500 + Math.floor(random() * 2000),
    log: { minInsyncReplicas: minIsr },
    controllerOn: o.oneWay === true ? 1 : undefined,
  })
  const ctl = sim.controller
  ctl.uncleanEnabled = unclean && random() < 0.5
  const checker = new InvariantChecker(sim)
  const stats: Record<string, number> = {}
  const count = (k: string): void => {
    stats[k] = (stats[k] ?? 0) + 1
  }
  const problems: string[] = []
  const pending = new Set<Promise<void>>()
  const track = (p: Promise<void>): void => {
    const q = p.catch((err) => {
      problems.push(String(err))
    })
    pending.add(q)
    q.finally(() => pending.delete(q))
  }
  let n = 0
  const records = (tag: string) => {
    const k = 1 + Math.floor(random() * 3)
    const pad = 'x'.repeat(Math.floor(random() * 300))
    return Array.from({ length: k }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}-${pad}` }))
  }
  const target = (partition: number): number => {
    const leader = ctl.state(TOPIC, partition).leader
    return leader < 0 || random() < 0.1 ? pick(sim.brokerIds) : leader
  }

  const fail = (why: string): never => {
    throw new Error(
      `replication sim seed ${o.seed} (unclean ${unclean}, min.insync ${minIsr}) failed: ${why}\n` +
        `replay: SIM_SEED=${o.seed} SIM_STEPS=${o.steps} SIM_TRACE=1 node --test test/unit/replication/sim/random-runs.test.ts\n` +
        `last events:\n  ${sim.trace.slice(-60).join('\n  ')}`,
    )
  }

  const plainProduce = (acks: number): void => {
    const partition = Math.floor(random() * 2)
    const id = target(partition)
    const tag = `p${n++}`
    const sent = buildBatch(records(tag), { timestamp: sim.clock.now() })
    const generation = ctl.uncleanGeneration
    const timeout = 300 + Math.floor(random() * 4000)
    sim.note(`produce ${tag} acks=${acks} -> ${id} (${TOPIC}-${partition})`)
    track(
      sim.produce(id, TOPIC, partition, Buffer.from(sent), acks, timeout).then((r) => {
        if (r.kind === 'network') return count('network')
        const code = r.outcome.errorCode
        count(`acks${acks}:${errorName(code)}`)
        sim.note(`answer ${tag}: ${errorName(code)} at ${r.outcome.baseOffset}`)
        if (acks === -1 && code === ErrorCode.NONE && generation === ctl.uncleanGeneration)
          checker.acked.push({
            topic: TOPIC,
            partition,
            base: r.outcome.baseOffset,
            sent,
            generation,
            what: tag,
          })
      }),
    )
  }

  const producers: IdempotentProducer[] = [0, 1].map((partition) => ({
    partition,
    pid: 7000n + BigInt(partition),
    epoch: 0,
    seq: 0,
    batch: null,
    inFlight: false,
    generation: 0,
  }))
  const idempotentSend = (pr: IdempotentProducer): void => {
    if (pr.inFlight) return
    if (pr.batch === null) {
      pr.batch = buildBatch(records(`i${pr.partition}-${pr.epoch}-${pr.seq}`), {
        timestamp: sim.clock.now(),
        producerId: pr.pid,
        producerEpoch: pr.epoch,
        baseSequence: pr.seq,
      })
      pr.generation = ctl.uncleanGeneration
    }
    const batch = pr.batch
    const id = target(pr.partition)
    pr.inFlight = true
    const what = `idem ${pr.partition} e${pr.epoch} seq ${pr.seq}`
    sim.note(`produce ${what} -> ${id}`)
    track(
      sim
        .produce(id, TOPIC, pr.partition, Buffer.from(batch), -1, 500 + Math.floor(random() * 3000))
        .then((r) => {
          pr.inFlight = false
          if (r.kind === 'network') return count('idem:network')
          const code = r.outcome.errorCode
          count(`idem:${errorName(code)}`)
          sim.note(`answer ${what}: ${errorName(code)} at ${r.outcome.baseOffset}`)
          if (code === ErrorCode.NONE) {
            if (pr.generation === ctl.uncleanGeneration)
              checker.acked.push({
                topic: TOPIC,
                partition: pr.partition,
                base: r.outcome.baseOffset,
                sent: batch,
                generation: pr.generation,
                what,
              })
            pr.seq += batch.readInt32BE(BatchOffsets.lastOffsetDelta) + 1
            pr.batch = null
          } else if (!RETRIABLE.has(code)) {
            // Without unclean elections nothing acknowledged is lost, so the sequence always fits.
            if (ctl.uncleanGeneration === 0) problems.push(`${what} refused: ${errorName(code)}`)
            pr.epoch++
            pr.seq = 0
            pr.batch = null
          }
        }),
    )
  }

  const actions: [number, () => Promise<void> | void][] = [
    [25, () => plainProduce(-1)],
    [12, () => plainProduce(1)],
    [15, () => idempotentSend(pick(producers))],
    [25, () => sim.advance(20 + Math.floor(random() * 300))],
    [8, () => sim.advance(300 + Math.floor(random() * 2500))],
    [
      4,
      () => {
        if (sim.net.cutLinks().length >= 2) return
        const a = pick(sim.brokerIds)
        const b = pick(sim.brokerIds.filter((x) => x !== a))
        sim.note(`cut ${a}-${b}`)
        sim.net.cutLink(a, b)
      },
    ],
    [
      5,
      () => {
        const links = sim.net.cutLinks()
        if (links.length === 0) return
        const [a, b] = pick(links).split('-').map(Number) as [number, number]
        sim.note(`heal ${a}-${b}`)
        sim.net.healLink(a, b)
      },
    ],
    [
      o.oneWay === true ? 4 : 0,
      () => {
        const a = pick(sim.brokerIds)
        const b = pick(sim.brokerIds.filter((x) => x !== a))
        if (sim.net.isDropped(a, b)) {
          sim.note(`heal one-way ${a}->${b}`)
          sim.net.healOneWay(a, b)
        } else {
          sim.note(`drop one-way ${a}->${b}`)
          sim.net.dropOneWay(a, b)
        }
      },
    ],
    [
      3,
      async () => {
        const live = sim.liveIds()
        if (live.length <= 1) return
        await sim.crash(pick(live))
      },
    ],
    [
      6,
      async () => {
        const dead = sim.brokerIds.filter((id) => sim.proc(id) === null)
        if (dead.length > 0) await sim.startBroker(pick(dead))
      },
    ],
    [
      3,
      () => {
        const st = ctl.state(TOPIC, Math.floor(random() * 2))
        const others = st.isr.filter((id) => id !== st.leader && ctl.isLive(id))
        if (others.length > 0) ctl.cleanElect(st, pick(others))
      },
    ],
    [
      2,
      async () => {
        // DeleteRecords on the leader up to a point below its high watermark: a follower that is
        // behind the new log start must reset its fetch offset (ListOffsets, then start over).
        const st = ctl.state(TOPIC, Math.floor(random() * 2))
        const part = st.leader < 0 ? null : sim.partition(st.leader, TOPIC, st.partition)
        if (part === null || !part.isLeader) return
        const span = part.highWatermark - part.log.logStartOffset
        if (span <= 0n) return
        const to = part.log.logStartOffset + BigInt(Math.floor(random() * (Number(span) + 1)))
        const r = await sim.proc(st.leader)!.rm.deleteRecords(TOPIC, st.partition, to)
        sim.note(
          `delete records of ${TOPIC}-${st.partition} before ${to} on ${st.leader}: ${errorName(r.errorCode)}`,
        )
        count(`deleteRecords:${errorName(r.errorCode)}`)
      },
    ],
    [
      unclean ? 2 : 0,
      () => {
        const st = ctl.state(TOPIC, Math.floor(random() * 2))
        const outside = st.replicas.filter((id) => !st.isr.includes(id) && ctl.isLive(id))
        if (outside.length > 0) ctl.uncleanElect(st, pick(outside))
      },
    ],
  ]
  const total = actions.reduce((s, [w]) => s + w, 0)

  const summary = async (): Promise<string> => {
    const parts: string[] = []
    for (const [key, list] of await checker.views()) {
      const st = ctl.state(TOPIC, Number(key.split('-').pop()))
      parts.push(
        `${key} L${st.leader}@${st.leaderEpoch} isr[${st.isr}] ${list.map((v) => `${v.id}:${v.leo}/${v.hw}`).join(' ')}`,
      )
    }
    return parts.join(' | ')
  }

  await sim.start([
    {
      name: TOPIC,
      topicId: TOPIC_ID,
      assignments: [
        [1, 2, 3],
        [2, 3, 1],
      ],
    },
  ])
  try {
    for (let step = 0; step < o.steps; step++) {
      let r = random() * total
      let i = 0
      while (r >= actions[i]![0]) r -= actions[i++]![0]
      await actions[i]![1]()
      await sim.settle()
      try {
        await checker.check()
      } catch (err) {
        fail(`step ${step}: ${(err as Error).message}`)
      }
      if (problems.length > 0) fail(`step ${step}: ${problems.join('; ')}`)
      if (sim.busy > 0)
        fail(`step ${step}: the brokers keep exchanging messages without the clock moving (a busy loop)`)
      sim.note(`step ${step}: ${await summary()}`)
    }

    // The faults stop: links heal, every broker runs, the clock runs until all replicas agree.
    sim.note('--- faults stop ---')
    sim.net.healAll()
    for (const id of sim.brokerIds) if (sim.proc(id) === null) await sim.startBroker(id)
    let why: string | null = 'not checked'
    for (let t = 0; t < 120_000 && why !== null; t += 250) {
      for (const pr of producers) if (pr.batch !== null && !pr.inFlight) idempotentSend(pr)
      await sim.advance(250)
      why = pending.size > 0 ? `${pending.size} produces pending` : await converged(sim, checker)
      if (why === null && producers.some((p) => p.batch !== null)) why = 'idempotent batches unacknowledged'
    }
    if (sim.busy > 0) fail('the brokers keep exchanging messages without the clock moving (a busy loop)')
    if (why !== null) fail(`no convergence: ${why} (${await summary()})`)
    try {
      await checker.check()
    } catch (err) {
      fail(`after convergence: ${(err as Error).message}`)
    }
    if (problems.length > 0) fail(problems.join('; '))
    const views = await checker.views()
    for (const pr of producers) {
      const list = views.get(`${TOPIC}-${pr.partition}`)!
      const seen: string[] = []
      const expect = new Map<number, number>()
      for (const b of list[0]!.batches) {
        if (b.bytes.readBigInt64BE(BatchOffsets.producerId) !== pr.pid) continue
        const epoch = b.bytes.readInt16BE(BatchOffsets.producerEpoch)
        const seq = b.bytes.readInt32BE(BatchOffsets.baseSequence)
        // The log may start in the middle of a producer's history (DeleteRecords).
        const next = expect.get(epoch) ?? seq
        if (seq !== next && (ctl.uncleanGeneration === 0 || seq < next))
          fail(
            `idempotent producer ${pr.pid} epoch ${epoch}: sequence ${seq} at offset ${b.base}, expected ${next} (seen ${seen.slice(-5)})`,
          )
        seen.push(`${epoch}/${seq}`)
        expect.set(epoch, seq + b.bytes.readInt32BE(BatchOffsets.lastOffsetDelta) + 1)
      }
    }
    stats.checks = checker.checks
    stats.maxSettleTurns = sim.maxSettleTurns
    stats.listOffsets = sim.net.listOffsets
    stats.refusedCalls = sim.net.refused
    stats.acked = checker.acked.length
    stats.uncleanElections = ctl.uncleanGeneration
    sim.note(`end: ${await summary()}`)
    return { trace: sim.trace, stats }
  } finally {
    await sim.stopAll()
  }
}
