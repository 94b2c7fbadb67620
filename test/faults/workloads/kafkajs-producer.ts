// The kafkajs workload of the fault suite (issue 12): idempotent acks=-1 kafkajs producers, one per
// partition, in a child process (kafkajs-producer-child.ts, run by this same node binary so a busy
// client cannot slow the harness). Every send and its outcome is kept, stamped with the harness
// clock as it arrives: acknowledged with partition and offset, failed with what kafkajs reported,
// or unknown (in flight when the run stopped, or when the child died). The outcomes have the shape
// of checker.ts's Ack, so they can be merged with the confluent-kafka stream's reports: the
// records are k-<i>/v-<i> like that stream's, with i from a range of this producer's own
// (`firstI`, far above anything the stream reaches), so no two producers write the same key.

import { join } from 'node:path'
import type { Ack } from '../checker.ts'
import { type ChildLines, startChildLines } from './child-lines.ts'
import type { KafkajsChildArgs } from './kafkajs-producer-child.ts'

/** The default start of this producer's record numbers: the python stream counts from 0. */
export const KAFKAJS_FIRST_I = 1_000_000_000_000

export interface KafkajsProducerOptions {
  topic: string
  partitions: readonly number[]
  /** First record number; give each concurrent producer its own range. */
  firstI?: number
  /** Records per send (one batch to one partition). */
  batch?: number
  /** Pause of a lane between two sends. */
  pauseMs?: number
  /** kafkajs retries of one send before it is reported failed (~1 s apart once backed off). */
  retries?: number
  /** The broker's wait for the ISR (Produce timeout) and the client's wait for a response. */
  ackTimeoutMs?: number
  requestTimeoutMs?: number
  /** A send with no outcome after this long is reported unknown and its lane gets a new producer. */
  deliveryTimeoutMs?: number
  /** On stop: how long the batches in flight may still take before they are reported unknown. */
  drainMs?: number
  clientId?: string
}

/** One outcome: an Ack (checker.ts) plus what kafkajs said when it failed, or unknown. */
export interface KafkajsOutcome extends Ack {
  reason?: string
  unknown?: true
}

export interface KafkajsProducer {
  lines: ChildLines
  /** Acknowledged and failed sends, in arrival order, stamped (t) with the harness clock. */
  acks: Ack[]
  /** Every outcome including unknown ones, with kafkajs' reasons for failures. */
  outcomes: KafkajsOutcome[]
  /** Records sent so far (reported before each batch goes out). */
  sent(): number
  /** Lanes that gave up on a send and started a new producer, with kafkajs' reason. */
  restarts: { p: number; reason: string; t: number }[]
  /** New seed brokers for the child (after a broker restarted on another port). */
  setBootstrap(bootstrap: string): void
  /** SIGTERM: stops sending, waits for the batches in flight (drainMs), then exits. */
  stop(): Promise<number | null>
  kill(): void
  stderr(): string
}

const CHILD = join(import.meta.dirname, 'kafkajs-producer-child.ts')

export function startKafkajsProducer(bootstrap: string, o: KafkajsProducerOptions): KafkajsProducer {
  const args: KafkajsChildArgs = {
    bootstrap,
    topic: o.topic,
    partitions: [...o.partitions],
    firstI: o.firstI ?? KAFKAJS_FIRST_I,
    batch: o.batch ?? 5,
    pauseMs: o.pauseMs ?? 10,
    retries: o.retries ?? 30,
    ackTimeoutMs: o.ackTimeoutMs ?? 10000,
    requestTimeoutMs: o.requestTimeoutMs ?? 15000,
    deliveryTimeoutMs: o.deliveryTimeoutMs ?? 60000,
    drainMs: o.drainMs ?? 20000,
    clientId: o.clientId ?? `samsa-faults-kafkajs-${process.pid}`,
  }
  const acks: Ack[] = []
  const outcomes: KafkajsOutcome[] = []
  const restarts: KafkajsProducer['restarts'] = []
  /** Records sent and not yet reported, by number. */
  const pending = new Set<number>()
  let sent = 0
  const settle = (o: KafkajsOutcome) => {
    if (!pending.delete(o.i)) return
    outcomes.push(o)
    if (o.unknown === undefined) acks.push(o)
  }
  const lines = startChildLines({
    cmd: process.execPath,
    args: [CHILD, JSON.stringify(args)],
    onLine(l, t) {
      if (typeof l.sent === 'number') {
        for (let j = 0; j < Number(l.n); j++) pending.add(l.sent + j)
        sent += Number(l.n)
      } else if (typeof l.i === 'number') {
        if (l.unknown === true) settle({ i: l.i, t, unknown: true, reason: String(l.reason ?? 'stopped') })
        else if (typeof l.offset === 'number') settle({ i: l.i, p: Number(l.p), offset: l.offset, t })
        else settle({ i: l.i, error: Number(l.error), reason: String(l.reason), t })
      } else if (typeof l.restart === 'number') {
        restarts.push({ p: l.restart, reason: String(l.reason), t })
      }
    },
  })
  // Whatever was sent and never reported (the child killed or crashed) is unknown too.
  void lines.exited.then(() => {
    const t = Date.now()
    for (const i of [...pending].sort((x, y) => x - y)) settle({ i, t, unknown: true })
  })
  return {
    lines,
    acks,
    outcomes,
    sent: () => sent,
    restarts,
    setBootstrap: (b) => lines.send({ bootstrap: b }),
    stop: () => lines.stop(args.drainMs + 10000),
    kill: () => lines.kill(),
    stderr: () => lines.stderr(),
  }
}

/** Counts of a finished producer's outcomes, for the run's log. */
export function summarizeOutcomes(outcomes: readonly KafkajsOutcome[]): string {
  let acked = 0
  let failed = 0
  let unknown = 0
  const reasons = new Map<string, number>()
  for (const o of outcomes) {
    if (o.unknown) unknown++
    else if (o.error !== undefined) {
      failed++
      // The innermost cause says most (the outer errors are kafkajs' retry wrappers).
      const r = `${o.error}: ${(o.reason ?? '').split(' <- ').at(-1)!.slice(0, 120)}`
      reasons.set(r, (reasons.get(r) ?? 0) + 1)
    } else acked++
  }
  const top = [...reasons]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => `${n}x ${r}`)
  return `kafkajs: ${acked} acknowledged, ${failed} failed, ${unknown} unknown${top.length ? ` (${top.join('; ')})` : ''}`
}
