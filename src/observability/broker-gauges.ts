// The gauges computed when /metrics is scraped, never on the request path: partition and leader
// counts, under-replicated and offline partitions, the active controller, log size and offsets per
// partition, consumer lag. refresh() walks the metadata image and the hosted partitions once per
// scrape; every family then reads that snapshot. Names are those the JMX exporter's usual rules
// give Kafka's MBeans (kafka_server_replicamanager_*, kafka_controller_kafkacontroller_*,
// kafka_log_log_*); lag uses kafka_exporter's names (kafka_consumergroup_*, label consumergroup),
// the ones consumer-lag dashboards query.

import type { MetadataImage } from '../metadata/image.ts'
import { type CommittedOffsets, consumerLag, type LagReport } from './consumer-lag.ts'
import { type CollectedMetric, ScrapedMetric } from './fast-metrics.ts'

/** What the gauges read from the running broker (broker/ wires it). */
export interface BrokerView {
  readonly nodeId: number
  image(): MetadataImage
  /** The replica hosted here, or null. */
  partition(
    topic: string,
    index: number,
  ): {
    readonly isLeader: boolean
    readonly inSyncReplicas: readonly number[]
    readonly highWatermark: bigint
    readonly log: { readonly size: number; readonly logEndOffset: bigint; readonly logStartOffset: bigint }
  } | null
  isActiveController(): boolean
  /** Committed offsets of the groups this broker coordinates. */
  groups(): Iterable<CommittedOffsets>
}

interface Sample {
  labels?: Record<string, string>
  value: number
}

interface Snapshot {
  partitionCount: number
  leaderCount: number
  underReplicated: number
  offline: number
  activeController: number
  size: Sample[]
  end: Sample[]
  start: Sample[]
  lag: LagReport
}

const EMPTY: Snapshot = {
  partitionCount: 0,
  leaderCount: 0,
  underReplicated: 0,
  offline: 0,
  activeController: 0,
  size: [],
  end: [],
  start: [],
  lag: { partitions: [], byTopic: [], byGroup: [] },
}

export class BrokerGauges {
  private view: BrokerView | null = null
  private snap: Snapshot = EMPTY
  readonly families: readonly CollectedMetric[]

  constructor() {
    const one = (name: string, help: string, read: (s: Snapshot) => number) =>
      new ScrapedMetric(name, help, 'gauge', () => [{ value: read(this.snap) }])
    const many = (name: string, help: string, read: (s: Snapshot) => Sample[]) =>
      new ScrapedMetric(name, help, 'gauge', () => read(this.snap))
    this.families = [
      one(
        'kafka_server_replicamanager_partitioncount',
        'Partitions with a replica on this broker.',
        (s) => s.partitionCount,
      ),
      one('kafka_server_replicamanager_leadercount', 'Partitions this broker leads.', (s) => s.leaderCount),
      one(
        'kafka_server_replicamanager_underreplicatedpartitions',
        'Partitions led here whose ISR is smaller than their replica set.',
        (s) => s.underReplicated,
      ),
      one(
        'kafka_controller_kafkacontroller_activecontrollercount',
        '1 on the active controller (the standalone broker is its own controller), else 0.',
        (s) => s.activeController,
      ),
      one(
        'kafka_controller_kafkacontroller_offlinepartitionscount',
        'Partitions without a live leader, reported by the active controller only.',
        (s) => s.offline,
      ),
      many('kafka_log_log_size', 'Bytes of the partition log on disk.', (s) => s.size),
      many('kafka_log_log_logendoffset', 'Log end offset of the partition replica.', (s) => s.end),
      many('kafka_log_log_logstartoffset', 'Log start offset of the partition replica.', (s) => s.start),
      many(
        'kafka_consumergroup_lag',
        'High watermark minus committed offset, per group and partition.',
        (s) =>
          s.lag.partitions.map((p) => ({
            labels: { consumergroup: p.group, topic: p.topic, partition: String(p.partition) },
            value: Number(p.lag),
          })),
      ),
      many('kafka_consumergroup_current_offset', 'Committed offset, per group and partition.', (s) =>
        s.lag.partitions.map((p) => ({
          labels: { consumergroup: p.group, topic: p.topic, partition: String(p.partition) },
          value: Number(p.committed),
        })),
      ),
      many('kafka_consumergroup_lag_sum', 'Consumer lag summed per group and topic.', (s) =>
        s.lag.byTopic.map((t) => ({
          labels: { consumergroup: t.group, topic: t.topic },
          value: Number(t.lag),
        })),
      ),
      many('samsa_consumergroup_lag_total', 'Consumer lag summed per group, over its topics.', (s) =>
        s.lag.byGroup.map((g) => ({ labels: { consumergroup: g.group }, value: Number(g.lag) })),
      ),
    ]
  }

  attach(view: BrokerView): void {
    this.view = view
  }

  /** Takes the snapshot the families report; called once per scrape. */
  refresh(): void {
    const v = this.view
    if (v === null) return
    const image = v.image()
    const s: Snapshot = { ...EMPTY, size: [], end: [], start: [] }
    const active = v.isActiveController()
    s.activeController = active ? 1 : 0
    for (const [name, t] of image.topics) {
      for (const p of t.partitions) {
        if (active && (p.leader < 0 || !image.brokers.has(p.leader))) s.offline++
        const part = v.partition(name, p.partition)
        if (part === null) continue
        s.partitionCount++
        if (part.isLeader) {
          s.leaderCount++
          if (part.inSyncReplicas.length < p.replicas.length) s.underReplicated++
        }
        const labels = { topic: name, partition: String(p.partition) }
        s.size.push({ labels, value: part.log.size })
        s.end.push({ labels, value: Number(part.log.logEndOffset) })
        s.start.push({ labels, value: Number(part.log.logStartOffset) })
      }
    }
    s.lag = consumerLag(v.groups(), (topic, index) => v.partition(topic, index)?.highWatermark ?? null)
    this.snap = s
  }
}
