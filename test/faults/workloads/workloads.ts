// The extra workloads of a fault run (issue 12) behind one handle, so that the harness plugs them
// in with a few calls: a kafkajs idempotent producer (kafkajs-producer.ts) next to the
// confluent-kafka stream, and a consumer group (group-consumer.ts) reading the same topic. At the
// end, finish() lets the group catch up with the log, stops it (each member commits and leaves),
// reads the group's committed offsets from the broker and judges the consumers' history against
// the final log (consumer-checker.ts). The producer's acknowledgements go to checker.ts with the
// stream's: its record numbers are its own range, so the two never collide.

import { describedOffsets, highWatermarks } from '../../e2e/replication-helpers.ts'
import type { KcatMessage } from '../../support/e2e-clients.ts'
import { sleep } from '../../support/e2e-clients.ts'
import {
  type ConsumerVerdict,
  checkConsumers,
  consumerProblems,
  renderConsumers,
} from '../consumer-checker.ts'
import { type GroupConsumers, startGroupConsumers } from './group-consumer.ts'
import {
  type KafkajsProducer,
  type KafkajsProducerOptions,
  startKafkajsProducer,
  summarizeOutcomes,
} from './kafkajs-producer.ts'

export interface WorkloadOptions {
  topic: string
  partitions: readonly number[]
  group: string
  members?: number
  producer?: Omit<KafkajsProducerOptions, 'topic' | 'partitions'>
}

export interface WorkloadResult {
  consumers: ConsumerVerdict
  /** To append to the faults verdict line: `${render(v)}; ${line}`. */
  line: string
  /** Lines for the run's log: the producer's outcomes, the consumers' counts and problems. */
  report: string[]
  /** The group's committed offsets after the run, as kafka-consumer-groups.sh describes them. */
  committed: Map<number, { current: number | null; logEnd: number }>
}

export interface Workloads {
  producer: KafkajsProducer
  group: GroupConsumers
  /** After a broker restarted (on a new port): the kafkajs producer's new seed brokers. */
  setBootstrap(bootstrap: string): void
  /** Stops the kafkajs producer (its batches in flight get their outcome or unknown). */
  stopProducer(): Promise<number | null>
  /** Once the cluster is healed and `log` (kcat from offset 0) read: the consumers' verdict. */
  finish(bootstrap: string, log: readonly KcatMessage[], catchUpMs?: number): Promise<WorkloadResult>
  /** SIGKILL everything (cleanup on failure). */
  kill(): void
}

export function startWorkloads(bootstrap: string, o: WorkloadOptions): Workloads {
  const producer = startKafkajsProducer(bootstrap, {
    ...o.producer,
    topic: o.topic,
    partitions: o.partitions,
  })
  const group = startGroupConsumers(bootstrap, { group: o.group, topic: o.topic, members: o.members ?? 2 })
  return {
    producer,
    group,
    setBootstrap: (b) => producer.setBootstrap(b),
    stopProducer: () => producer.stop(),
    async finish(bs, log, catchUpMs = 30000) {
      const report: string[] = [
        `${summarizeOutcomes(producer.outcomes)}, ${producer.restarts.length} restarts`,
      ]
      const hws = await highWatermarks(bs, o.topic)
      const deadline = Date.now() + catchUpMs
      const behind = () => [...hws].filter(([p, hw]) => (group.readUpTo().get(p) ?? 0) < hw)
      while (behind().length > 0 && Date.now() < deadline) await sleep(100)
      if (behind().length > 0)
        report.push(
          `the group had not read up to the end of ${behind().map(([p]) => `p${p}`)} in ${catchUpMs} ms`,
        )
      const codes = await group.stop()
      if (codes.some((c) => c !== 0))
        report.push(`group members exited with ${codes}: ${group.stderr().slice(-500)}`)
      const committed = await describedOffsets(bs, o.group, o.topic)
      const consumers = checkConsumers({
        reads: group.reads,
        commits: group.commits,
        log: log.map((r) => ({ partition: r.partition, offset: r.offset, value: r.payload })),
        logEnd: hws,
        committed: [...committed].map(([p, d]) => ({ group: o.group, p, offset: d.current })),
      })
      const assignments = group.events.filter((e) => e.assigned !== undefined).length
      report.push(`${renderConsumers(consumers)}, ${consumers.rewinds} rewinds, ${assignments} assignments`)
      report.push(...consumerProblems(consumers))
      return { consumers, line: renderConsumers(consumers), report, committed }
    },
    kill() {
      producer.kill()
      group.kill()
    },
  }
}
