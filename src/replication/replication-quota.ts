// Replication throttles (Kafka's KIP-73 ReplicationQuotaManager): a byte rate limit for the
// replicas that a reassignment moves, so copying a partition to a new broker cannot starve
// producers and consumers of disk and network.
//
// Two quotas per broker: the leader's (bytes of throttled partitions sent in answers to follower
// fetches) and the follower's (bytes of throttled partitions appended by the replica fetcher).
// Each is a limit `leader.replication.throttled.rate` / `follower.replication.throttled.rate`
// (bytes/s; Long.MAX_VALUE, the default, is no limit) and a set of throttled partitions from the
// topic configs `leader.replication.throttled.replicas` / `follower.replication.throttled.replicas`
// (`partition:broker` items; only the items naming this broker count here; `*` = every partition).
// The rate is Kafka's SimpleRate over `replication.quota.window.num` samples of
// `replication.quota.window.size.seconds` each: the bytes of the samples kept, divided by the time
// since the oldest began (at least one sample's length). The quota is exceeded while that rate is
// above the limit; recording never blocks, callers check isQuotaExceeded() before sending more.
// What callers do when it is exceeded (never for a replica in the ISR, to avoid ISR thrashing) is
// in fetch-reader.ts (leader) and fetcher/fetcher-thread.ts (follower).
//
// Cost: `active` is false unless some topic throttles a partition on this broker, and callers do
// nothing more then; per fetch it is one map lookup per partition, never per-record work.
//
// The rates come from the dynamic broker configs (this broker's entity, else the cluster default
// entity, else server.properties, else unlimited), as Kafka 3.x+ resolves them, and follow the
// metadata image (ZooKeeper mode: /config/brokers and /config/topics through /config/changes).

import type { Clock } from '../common/clock.ts'
import type { MetadataImage } from '../metadata/image.ts'

/** What the fetch paths need of a quota. */
export interface ReplicaQuota {
  /** False when no partition is throttled here: callers skip every other call. */
  readonly active: boolean
  isThrottled(topic: string, partition: number): boolean
  isQuotaExceeded(): boolean
  /** Counts bytes of throttled partitions (whether or not the quota is exceeded). */
  record(bytes: number): void
}

export interface QuotaWindow {
  /** replication.quota.window.num (Kafka: 11, ten whole windows and the current one). */
  samples: number
  /** replication.quota.window.size.seconds × 1000 (Kafka: 1 s). */
  windowMs: number
}

export const DEFAULT_QUOTA_WINDOW: Readonly<QuotaWindow> = Object.freeze({ samples: 11, windowMs: 1000 })

/** Limits at or above this (Long.MAX_VALUE parsed as a number) mean no limit. */
const UNLIMITED_FROM = 2 ** 62

const ALL = 'all' as const

interface Sample {
  start: number
  bytes: number
}

export class ReplicationQuota implements ReplicaQuota {
  private readonly clock: Clock
  private readonly window: QuotaWindow
  private bound = Number.POSITIVE_INFINITY
  private readonly throttled = new Map<string, ReadonlySet<number> | typeof ALL>()
  /** Oldest first; at most window.samples. */
  private samples: Sample[] = []

  constructor(clock: Clock, window: QuotaWindow = DEFAULT_QUOTA_WINDOW) {
    this.clock = clock
    this.window = { samples: Math.max(1, window.samples), windowMs: Math.max(1, window.windowMs) }
  }

  get active(): boolean {
    return this.throttled.size > 0
  }

  /** Bytes per second; negative, non-finite or Long.MAX_VALUE-like values mean no limit. */
  updateQuota(bytesPerSecond: number): void {
    this.bound =
      Number.isFinite(bytesPerSecond) && bytesPerSecond >= 0 && bytesPerSecond < UNLIMITED_FROM
        ? bytesPerSecond
        : Number.POSITIVE_INFINITY
  }

  /** The limit in bytes/s; Infinity when there is none. */
  upperBound(): number {
    return this.bound
  }

  /** Replaces the throttled partitions of `topic` here (an empty list removes the throttle). */
  markThrottled(topic: string, partitions: readonly number[] | typeof ALL): void {
    if (partitions === ALL) this.throttled.set(topic, ALL)
    else if (partitions.length === 0) this.throttled.delete(topic)
    else this.throttled.set(topic, new Set(partitions))
  }

  removeThrottle(topic: string): void {
    this.throttled.delete(topic)
  }

  /** Topics with throttled partitions here (tests, diagnostics). */
  throttledTopics(): string[] {
    return [...this.throttled.keys()]
  }

  isThrottled(topic: string, partition: number): boolean {
    const p = this.throttled.get(topic)
    return p !== undefined && (p === ALL || p.has(partition))
  }

  isQuotaExceeded(): boolean {
    return this.bound !== Number.POSITIVE_INFINITY && this.rate() > this.bound
  }

  record(bytes: number): void {
    if (bytes <= 0) return
    const now = this.clock.now()
    this.purge(now)
    let cur = this.samples[this.samples.length - 1]
    if (cur === undefined || now - cur.start >= this.window.windowMs) {
      cur = { start: now, bytes: 0 }
      this.samples.push(cur)
      if (this.samples.length > this.window.samples) this.samples.shift()
    }
    cur.bytes += bytes
  }

  /** Bytes per second over the samples kept (Kafka's SimpleRate). */
  rate(): number {
    const now = this.clock.now()
    this.purge(now)
    if (this.samples.length === 0) return 0
    let total = 0
    for (const s of this.samples) total += s.bytes
    const elapsed = Math.max(now - this.samples[0]!.start, this.window.windowMs)
    return (total * 1000) / elapsed
  }

  /** Samples older than the whole window no longer count. */
  private purge(now: number): void {
    const maxAge = this.window.samples * this.window.windowMs
    let drop = 0
    while (drop < this.samples.length && now - this.samples[drop]!.start >= maxAge) drop++
    if (drop > 0) this.samples = this.samples.slice(drop)
  }
}

export const LEADER_RATE = 'leader.replication.throttled.rate'
export const FOLLOWER_RATE = 'follower.replication.throttled.rate'
export const LEADER_REPLICAS = 'leader.replication.throttled.replicas'
export const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas'

/**
 * The partitions of a `*.replication.throttled.replicas` value throttled on `brokerId`: 'all' for
 * `*`, else the partitions of the `partition:broker` items naming it. Items that do not parse are
 * skipped (the config was validated when it was written).
 */
export function throttledPartitionsOn(value: string, brokerId: number): number[] | typeof ALL {
  const v = value.trim()
  if (v === '*') return ALL
  const out: number[] = []
  for (const item of v.split(',')) {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item)
    if (m !== null && Number(m[2]) === brokerId) out.push(Number(m[1]))
  }
  return out
}

export interface ReplicationQuotasOptions {
  brokerId: number
  clock: Clock
  window?: QuotaWindow
  /** server.properties values of the two rates (raw), below the dynamic layers. */
  staticRates?: { leader?: string; follower?: string }
}

/** This broker's leader and follower quotas, kept in step with the metadata image. */
export class ReplicationQuotas {
  readonly leader: ReplicationQuota
  readonly follower: ReplicationQuota
  private readonly brokerId: number
  private readonly staticRates: { leader?: string; follower?: string }
  private brokerConfigs: MetadataImage['brokerConfigs'] | null = null
  /** The topic config maps last applied, by topic name (identity tells a change). */
  private readonly topicConfigs = new Map<string, ReadonlyMap<string, string>>()

  constructor(o: ReplicationQuotasOptions) {
    this.brokerId = o.brokerId
    this.staticRates = o.staticRates ?? {}
    this.leader = new ReplicationQuota(o.clock, o.window)
    this.follower = new ReplicationQuota(o.clock, o.window)
    this.leader.updateQuota(parseRate(this.staticRates.leader))
    this.follower.updateQuota(parseRate(this.staticRates.follower))
  }

  /** Follows broker and topic configs of a new image (cheap when they did not change). */
  applyImage(image: MetadataImage): void {
    if (image.brokerConfigs !== this.brokerConfigs) {
      this.brokerConfigs = image.brokerConfigs
      const mine = image.brokerConfigs.perBroker.get(this.brokerId)
      const dflt = image.brokerConfigs.clusterDefault
      const pick = (key: string, fallback: string | undefined) =>
        parseRate(mine?.get(key) ?? dflt.get(key) ?? fallback)
      this.leader.updateQuota(pick(LEADER_RATE, this.staticRates.leader))
      this.follower.updateQuota(pick(FOLLOWER_RATE, this.staticRates.follower))
    }
    for (const [name, topic] of image.topics) {
      if (this.topicConfigs.get(name) === topic.configs) continue
      this.topicConfigs.set(name, topic.configs)
      this.applyTopic(name, topic.configs)
    }
    if (this.topicConfigs.size > image.topics.size) {
      for (const name of [...this.topicConfigs.keys()]) {
        if (image.topics.has(name)) continue
        this.topicConfigs.delete(name)
        this.leader.removeThrottle(name)
        this.follower.removeThrottle(name)
      }
    }
  }

  private applyTopic(name: string, configs: ReadonlyMap<string, string>): void {
    const set = (quota: ReplicationQuota, key: string) => {
      const v = configs.get(key)
      if (v === undefined || v.trim() === '') quota.removeThrottle(name)
      else quota.markThrottled(name, throttledPartitionsOn(v, this.brokerId))
    }
    set(this.leader, LEADER_REPLICAS)
    set(this.follower, FOLLOWER_REPLICAS)
  }
}

function parseRate(raw: string | undefined): number {
  if (raw === undefined) return Number.POSITIVE_INFINITY
  const t = raw.trim()
  return /^\d+$/.test(t) ? Number(t) : Number.POSITIVE_INFINITY
}
