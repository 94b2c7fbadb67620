// The replica fetchers of this broker (Kafka's ReplicaFetcherManager): one FetcherThread per
// (leader broker, fetcher id), fetcher id = |31 * javaHash(topic) + partition| % num.replica.fetchers
// as Kafka's getFetcherId computes it, so partitions spread over the same fetchers as in Kafka.
// A thread starts with its first partition and stops once removals leave it with none.
//
// The replica manager calls addPartitions when it makes replicas followers (with the leader and
// its epoch) and removePartitions before it makes them leaders, deletes or closes them; once
// removePartitions resolved, no fetched data is applied to those logs any more. A partition added
// under another leader than before leaves its old thread first and is fetched by the new one only
// after the old one stopped applying to it.

import { type Clock, systemClock } from '../../common/clock.ts'
import { type Logger, silentLogger } from '../../common/logger.ts'
import type { ReplicaQuota } from '../replication-quota.ts'
import {
  DEFAULT_FETCHER_CONFIG,
  type FetcherConfig,
  type PartitionFetchView,
  type TopicPartitionKey,
  tpKey,
} from './fetcher-config.ts'
import { FetcherThread } from './fetcher-thread.ts'
import type { FollowerLog } from './follower-log.ts'
import type { LeaderEndPoint } from './leader-endpoint.ts'

export interface ReplicaFetcherManagerOptions {
  brokerId: number
  /** num.replica.fetchers (default 1). */
  numFetchers?: number
  /** A new endpoint to `leaderId`, called once per fetcher thread; the thread closes it. */
  endpointFor: (leaderId: number) => LeaderEndPoint
  clock?: Clock
  logger?: Logger
  config?: Partial<FetcherConfig>
  /** The follower replication quota shared by every thread (KIP-73); absent: no throttling. */
  quota?: ReplicaQuota | null
}

export interface AddFollower {
  log: FollowerLog
  leaderId: number
  leaderEpoch: number
}

interface ThreadEntry {
  readonly leaderId: number
  readonly fetcherId: number
  readonly thread: FetcherThread
}

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around). */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h
}

/** Kafka's getFetcherId. */
export function fetcherIdFor(topic: string, partition: number, numFetchers: number): number {
  const n = (Math.imul(31, javaStringHash(topic)) + partition) | 0
  const abs = n === -2147483648 ? 0 : Math.abs(n)
  return abs % numFetchers
}

export class ReplicaFetcherManager {
  readonly brokerId: number
  readonly numFetchers: number
  private readonly endpointFor: (leaderId: number) => LeaderEndPoint
  private readonly clock: Clock
  private readonly log: Logger
  private readonly config: FetcherConfig
  private readonly quota: ReplicaQuota | null
  private readonly threads = new Map<string, ThreadEntry>()
  /** Which thread each partition was given to. */
  private readonly placement = new Map<string, string>()
  private readonly stopping = new Set<Promise<void>>()
  private closed = false

  constructor(o: ReplicaFetcherManagerOptions) {
    this.brokerId = o.brokerId
    this.numFetchers = Math.max(1, o.numFetchers ?? 1)
    this.endpointFor = o.endpointFor
    this.clock = o.clock ?? systemClock
    this.log = o.logger ?? silentLogger
    this.config = { ...DEFAULT_FETCHER_CONFIG, ...o.config }
    this.quota = o.quota ?? null
  }

  fetcherId(topic: string, partition: number): number {
    return fetcherIdFor(topic, partition, this.numFetchers)
  }

  /** Starts (or keeps) fetching each partition from its leader at its leader epoch. */
  addPartitions(items: readonly AddFollower[]): void {
    if (this.closed) throw new Error('the replica fetcher manager is shut down')
    const byThread = new Map<
      string,
      {
        leaderId: number
        fetcherId: number
        adds: { log: FollowerLog; leaderEpoch: number; after?: Promise<void> }[]
      }
    >()
    for (const { log, leaderId, leaderEpoch } of items) {
      const key = tpKey(log.topic, log.partition)
      const fetcherId = this.fetcherId(log.topic, log.partition)
      const threadKey = `${leaderId}/${fetcherId}`
      let after: Promise<void> | undefined
      const before = this.placement.get(key)
      if (before !== undefined && before !== threadKey) {
        const old = this.threads.get(before)
        if (old !== undefined)
          after = old.thread.removePartitions([{ topic: log.topic, partition: log.partition }])
      }
      this.placement.set(key, threadKey)
      let group = byThread.get(threadKey)
      if (group === undefined) {
        group = { leaderId, fetcherId, adds: [] }
        byThread.set(threadKey, group)
      }
      group.adds.push({ log, leaderEpoch, after })
    }
    for (const [threadKey, group] of byThread) {
      let entry = this.threads.get(threadKey)
      if (entry === undefined) {
        const thread = new FetcherThread({
          name: `ReplicaFetcherThread-${group.fetcherId}-${group.leaderId}`,
          endpoint: this.endpointFor(group.leaderId),
          clock: this.clock,
          logger: this.log,
          config: this.config,
          quota: this.quota,
        })
        entry = { leaderId: group.leaderId, fetcherId: group.fetcherId, thread }
        this.threads.set(threadKey, entry)
        thread.start()
      }
      entry.thread.addPartitions(group.adds)
    }
    this.retireIdleThreads()
  }

  /** Stops fetching these partitions; resolves once nothing fetched will be applied to them. */
  async removePartitions(keys: readonly TopicPartitionKey[]): Promise<void> {
    const byThread = new Map<string, TopicPartitionKey[]>()
    for (const k of keys) {
      const key = tpKey(k.topic, k.partition)
      const threadKey = this.placement.get(key)
      if (threadKey === undefined) continue
      this.placement.delete(key)
      const list = byThread.get(threadKey) ?? []
      list.push(k)
      byThread.set(threadKey, list)
    }
    await Promise.all(
      [...byThread].map(([threadKey, list]) => this.threads.get(threadKey)?.thread.removePartitions(list)),
    )
    await this.retireIdleThreads()
  }

  /** Where a partition is fetched from, and its fetch state; undefined when not fetched. */
  fetchState(
    topic: string,
    partition: number,
  ): (PartitionFetchView & { leaderId: number; fetcherId: number }) | undefined {
    const threadKey = this.placement.get(tpKey(topic, partition))
    const entry = threadKey === undefined ? undefined : this.threads.get(threadKey)
    const view = entry?.thread.fetchState(topic, partition)
    if (entry === undefined || view === undefined) return undefined
    return { ...view, leaderId: entry.leaderId, fetcherId: entry.fetcherId }
  }

  /** The running threads (for metrics and tests). */
  runningThreads(): { leaderId: number; fetcherId: number; partitions: number }[] {
    return [...this.threads.values()].map((e) => ({
      leaderId: e.leaderId,
      fetcherId: e.fetcherId,
      partitions: e.thread.partitionCount(),
    }))
  }

  /** Partitions a thread gave up on (fenced, storage errors) until they are added again. */
  failedPartitions(): TopicPartitionKey[] {
    return [...this.threads.values()].flatMap((e) => e.thread.failedPartitions())
  }

  async shutdown(): Promise<void> {
    this.closed = true
    const all = [...this.threads.values()]
    this.threads.clear()
    this.placement.clear()
    await Promise.all([...all.map((e) => e.thread.stop()), ...this.stopping])
  }

  /**
   * Stops threads left without partitions (Kafka's shutdownIdleFetcherThreads). One that still
   * remembers failed partitions stays (idle) so failedPartitions() keeps reporting them.
   */
  private retireIdleThreads(): Promise<void> {
    const stops: Promise<void>[] = []
    for (const [threadKey, e] of this.threads) {
      if (e.thread.partitionCount() > 0 || e.thread.failedPartitions().length > 0) continue
      this.threads.delete(threadKey)
      const stop = e.thread.stop().finally(() => this.stopping.delete(stop))
      this.stopping.add(stop)
      stops.push(stop)
    }
    return Promise.all(stops).then(() => {})
  }
}
