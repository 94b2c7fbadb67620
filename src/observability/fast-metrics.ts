// Metric families for the request path, cheaper than prom-client's own classes: a label set is
// resolved once to a slot object (the caller keeps it), and an update is a few number operations
// with no label hashing or allocation. At scrape time each family turns its slots into the metric
// object prom-client's Registry formats (the same shape its own metrics return from get()), so
// the exposition text is still written by prom-client.

import type { Metric, Registry } from 'prom-client'

type Labels = Readonly<Record<string, string | number>>

/** One sample as prom-client's formatter reads it (its type is not exported). */
interface Sample {
  value: number
  labels: Labels
  metricName?: string
}

/** A metric family as prom-client's get() returns it. */
interface Family {
  name: string
  help: string
  type: string
  values: Sample[]
  aggregator: 'sum'
}

/** What prom-client's Registry needs of a metric: a name and a get() returning its samples. */
export interface CollectedMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  get(): Promise<Family>
}

export class CounterSlot {
  value = 0
  readonly labels: Labels
  constructor(labels: Labels) {
    this.labels = labels
  }
}

/** A counter family; slots live until forget() (e.g. a deleted topic). */
export class FastCounter implements CollectedMetric {
  readonly name: string
  readonly help: string
  readonly type = 'counter' as const
  private readonly slots = new Map<string, CounterSlot>()

  constructor(name: string, help: string) {
    this.name = name
    this.help = help
  }

  /** The slot of a label set; `key` identifies it (callers pass something they already have). */
  slot(key: string, labels: Labels): CounterSlot {
    let s = this.slots.get(key)
    if (s === undefined) {
      s = new CounterSlot(labels)
      this.slots.set(key, s)
    }
    return s
  }

  forget(key: string): void {
    this.slots.delete(key)
  }

  async get(): Promise<Family> {
    const values: Sample[] = []
    for (const s of this.slots.values()) values.push({ value: s.value, labels: s.labels })
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' }
  }
}

export class HistogramSlot {
  readonly labels: Labels
  /** counts[i]: observations ≤ bounds[i] and > bounds[i-1]; the last one is above every bound. */
  readonly counts: Float64Array
  sum = 0
  count = 0
  private readonly bounds: Float64Array

  constructor(labels: Labels, bounds: Float64Array) {
    this.labels = labels
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(v: number): void {
    const b = this.bounds
    let i = 0
    while (i < b.length && v > b[i]) i++
    this.counts[i]++
    this.sum += v
    this.count++
  }
}

/** A histogram family with fixed bucket bounds (Prometheus `le` buckets, cumulative on scrape). */
export class FastHistogram implements CollectedMetric {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  private readonly bounds: Float64Array
  private readonly slots = new Map<string, HistogramSlot>()

  constructor(name: string, help: string, bounds: readonly number[]) {
    this.name = name
    this.help = help
    this.bounds = Float64Array.from(bounds)
  }

  slot(key: string, labels: Labels): HistogramSlot {
    let s = this.slots.get(key)
    if (s === undefined) {
      s = new HistogramSlot(labels, this.bounds)
      this.slots.set(key, s)
    }
    return s
  }

  async get(): Promise<Family> {
    const values: Sample[] = []
    for (const s of this.slots.values()) {
      let acc = 0
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...s.labels, le: this.bounds[i] },
          value: acc,
        })
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count })
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum })
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count })
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' }
  }
}

/**
 * A family computed at scrape time: `read` returns its samples then (partition counts, log
 * sizes, lag), so nothing is kept up to date on the request path.
 */
export class ScrapedMetric implements CollectedMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  private readonly read: () => readonly { labels?: Labels; value: number }[]

  constructor(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    read: () => readonly { labels?: Labels; value: number }[],
  ) {
    this.name = name
    this.help = help
    this.type = type
    this.read = read
  }

  async get(): Promise<Family> {
    const values = this.read().map((s) => ({ value: s.value, labels: s.labels ?? {} }))
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' }
  }
}

/** Registers a family with prom-client's Registry (which formats anything with name and get()). */
export function register(registry: Registry, metric: CollectedMetric): void {
  registry.registerMetric(metric as unknown as Metric)
}

/** Bucket bounds for request times in milliseconds (Kafka reports its request times in ms). */
export const TIME_MS_BUCKETS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
]

/** Bucket bounds for request and response sizes in bytes (powers of 4 from 64 B to 64 MiB). */
export const SIZE_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
