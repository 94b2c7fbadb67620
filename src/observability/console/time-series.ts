// The console's charts: a small in-memory history (the last ~10 minutes) sampled every few
// seconds from what the broker already counts: the per-topic counters (messages and bytes in,
// bytes out) and the per-API request time histograms, turned into rates and mean latencies over
// each interval, and each group's total lag (consumer-lag.ts over the committed offsets). Nothing
// is added to the request path; a sample reads a few hundred counters. Lost on restart.

import { consumerLag } from '../consumer-lag.ts'
import type { CollectedMetric } from '../fast-metrics.ts'
import type { ConsoleDeps } from './console-services.ts'
import { committedOffsets } from './groups-view.ts'

export const SAMPLE_INTERVAL_MS = 2000
export const SAMPLES_KEPT = 300

const TOPIC_COUNTERS = {
  messagesIn: 'kafka_server_brokertopicmetrics_messagesin_total',
  bytesIn: 'kafka_server_brokertopicmetrics_bytesin_total',
  bytesOut: 'kafka_server_brokertopicmetrics_bytesout_total',
} as const
type TopicSeries = keyof typeof TOPIC_COUNTERS
/** The all-topics series (Kafka's BrokerTopicMetrics without a topic). */
export const ALL_TOPICS = '(all topics)'

interface Raw {
  readonly t: number
  /** `${series}\u0000${topic}` → counter value. */
  readonly topics: Map<string, number>
  /** api → [count, sum of ms]. */
  readonly requests: Map<string, [number, number]>
}

interface Sample {
  readonly t: number
  readonly topics: Map<string, Record<TopicSeries, number>>
  readonly requests: Map<string, { rate: number; avgMs: number | null }>
  readonly lag: Map<string, number>
}

async function counterValues(
  f: CollectedMetric,
): Promise<{ labels: Record<string, unknown>; value: number; metricName?: string }[]> {
  return (await f.get()).values as { labels: Record<string, unknown>; value: number; metricName?: string }[]
}

export class TimeSeries {
  private readonly d: ConsoleDeps
  private readonly intervalMs: number
  private readonly capacity: number
  private readonly samples: Sample[] = []
  private last: Raw | null = null
  private timer: NodeJS.Timeout | null = null
  private running = false

  constructor(d: ConsoleDeps, intervalMs = SAMPLE_INTERVAL_MS, capacity = SAMPLES_KEPT) {
    this.d = d
    this.intervalMs = intervalMs
    this.capacity = capacity
  }

  start(): void {
    if (this.timer !== null) return
    void this.sample()
    this.timer = setInterval(() => void this.sample(), this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private async readRaw(): Promise<Raw> {
    const topics = new Map<string, number>()
    for (const [series, name] of Object.entries(TOPIC_COUNTERS)) {
      const f = this.d.topics.families.find((x) => x.name === name)
      if (f === undefined) continue
      for (const v of await counterValues(f)) {
        const topic = typeof v.labels.topic === 'string' ? v.labels.topic : ALL_TOPICS
        topics.set(`${series}\u0000${topic}`, v.value)
      }
    }
    const requests = new Map<string, [number, number]>()
    for (const v of await counterValues(this.d.requests.totalTime)) {
      const api = String(v.labels.request)
      const e = requests.get(api) ?? [0, 0]
      if (v.metricName?.endsWith('_count')) e[0] = v.value
      else if (v.metricName?.endsWith('_sum')) e[1] = v.value
      else continue
      requests.set(api, e)
    }
    return { t: this.d.now(), topics, requests }
  }

  /** Takes one sample now (the timer calls it; tests call it directly). */
  async sample(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      const raw = await this.readRaw()
      const prev = this.last
      this.last = raw
      if (prev === null || raw.t <= prev.t) return
      const secs = (raw.t - prev.t) / 1000
      const topics = new Map<string, Record<TopicSeries, number>>()
      for (const [k, v] of raw.topics) {
        const [series, topic] = k.split('\u0000') as [TopicSeries, string]
        const before = prev.topics.get(k) ?? 0
        const row = topics.get(topic) ?? { messagesIn: 0, bytesIn: 0, bytesOut: 0 }
        row[series] = Math.max(0, v - before) / secs
        topics.set(topic, row)
      }
      const requests = new Map<string, { rate: number; avgMs: number | null }>()
      for (const [api, [count, sum]] of raw.requests) {
        const [c0, s0] = prev.requests.get(api) ?? [0, 0]
        const n = count - c0
        requests.set(api, { rate: n / secs, avgMs: n > 0 ? (sum - s0) / n : null })
      }
      const lag = new Map<string, number>()
      const report = consumerLag(
        committedOffsets(this.d.services),
        (topic, index) => this.d.services.replicaManager.partition(topic, index)?.highWatermark ?? null,
      )
      for (const g of report.byGroup) lag.set(g.group, Number(g.lag))
      this.samples.push({ t: raw.t, topics, requests, lag })
      if (this.samples.length > this.capacity) this.samples.shift()
    } finally {
      this.running = false
    }
  }

  /**
   * Column-aligned series for uPlot: `times` in seconds, one array per line, null where a series
   * had no value at that time.
   */
  snapshot() {
    const times = this.samples.map((s) => s.t / 1000)
    const column = <T>(keys: Iterable<string>, pick: (s: Sample, k: string) => T | null) => {
      const out: Record<string, (T | null)[]> = {}
      for (const k of keys) out[k] = this.samples.map((s) => pick(s, k))
      return out
    }
    const topicNames = new Set(this.samples.flatMap((s) => [...s.topics.keys()]))
    const apis = new Set(
      this.samples.flatMap((s) => [...s.requests].filter(([, r]) => r.rate > 0).map(([a]) => a)),
    )
    const groups = new Set(this.samples.flatMap((s) => [...s.lag.keys()]))
    const topicSeries = (series: TopicSeries) =>
      column(topicNames, (s, k) => s.topics.get(k)?.[series] ?? null)
    return {
      intervalMs: this.intervalMs,
      times,
      messagesIn: topicSeries('messagesIn'),
      bytesIn: topicSeries('bytesIn'),
      bytesOut: topicSeries('bytesOut'),
      requestRate: column(apis, (s, k) => s.requests.get(k)?.rate ?? null),
      requestAvgMs: column(apis, (s, k) => s.requests.get(k)?.avgMs ?? null),
      groupLag: column(groups, (s, k) => s.lag.get(k) ?? null),
    }
  }
}
