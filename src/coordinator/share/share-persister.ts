// The share-partitions' persister (KIP-932): a share-partition's state lives in the
// __share_group_state partition its key hashes to, and only that partition's leader may read or
// write it. When this broker leads it the share coordinator here answers; otherwise the request
// goes to the leader, found in the metadata image, as ReadShareGroupState / WriteShareGroupState
// v0 over the internal wire client (its handlers apply it through their own share coordinator).
//
// A leader that is moving (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, no leader, a broken
// connection) is retried, looking the leader up again each round, until RETRY_FOR_MS has passed;
// then the caller gets COORDINATOR_NOT_AVAILABLE, the error Kafka's share-partition gives a
// client whose state could not be written, and the acknowledgement fails instead of being kept
// in memory. Writes of one share-partition go one at a time and take the state when they are
// sent, so a retried write never lands after (and over) a newer one.

import { BrokerClient } from '../../client/broker-client.ts'
import type { Clock } from '../../common/clock.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  readShareGroupStateRequestCodec,
  readShareGroupStateResponseCodec,
} from '../../protocol/generated/messages/read-share-group-state.ts'
import {
  writeShareGroupStateRequestCodec,
  writeShareGroupStateResponseCodec,
} from '../../protocol/generated/messages/write-share-group-state.ts'
import { type ReadStateResult, SHARE_STATE_TOPIC, type ShareCoordinator } from './share-coordinator.ts'
import { coordinatorKeyOf, type SharePartitionKey, type ShareStateValue } from './share-records.ts'

const RETRY_FOR_MS = 20_000
const BACKOFF_MS = 100
const MAX_BACKOFF_MS = 1000

/** Errors after which the state leader is looked up again and the request resent. */
const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
])

export interface SharePersisterParams {
  readonly nodeId: number
  readonly image: () => MetadataImage
  readonly coordinator: Pick<ShareCoordinator, 'readState' | 'writeState' | 'partitionFor' | 'ensureTopic'>
  readonly listenerName: string
  readonly requestTimeoutMs: number
  readonly clock: Clock
  readonly logger: Logger
  /** The wire to broker `id` (tests); default: a BrokerClient on `listenerName`. */
  readonly connect?: (brokerId: number) => Pick<BrokerClient, 'send'>
}

export class SharePersister {
  private readonly p: SharePersisterParams
  private readonly clients = new Map<number, { address: string; client: BrokerClient }>()
  /** The last write of each share-partition, which the next one waits for. */
  private readonly writes = new Map<string, Promise<number>>()
  private closed = false

  constructor(p: SharePersisterParams) {
    this.p = p
  }

  close(): void {
    this.closed = true
    for (const c of this.clients.values()) c.client.close()
    this.clients.clear()
  }

  readState(k: SharePartitionKey): Promise<ReadStateResult> {
    return this.retrying(
      k,
      'read',
      () => this.p.coordinator.readState(k),
      (leader) => this.remoteRead(leader, k),
      (errorCode) => ({ errorCode, state: null }),
    )
  }

  /** `v` is called when the write is sent (again on a retry), so it carries the newest state. */
  writeState(k: SharePartitionKey, v: () => ShareStateValue): Promise<number> {
    const id = coordinatorKeyOf(k)
    const before = this.writes.get(id) ?? Promise.resolve(0)
    const send = () =>
      this.retrying(
        k,
        'write',
        () => this.p.coordinator.writeState(k, () => v()),
        (leader) => this.remoteWrite(leader, k, v()),
        (c) => c,
      )
    const mine = before.then(send, send)
    this.writes.set(id, mine)
    void mine.finally(() => {
      if (this.writes.get(id) === mine) this.writes.delete(id)
    })
    return mine
  }

  private async retrying<R extends number | { readonly errorCode: number }>(
    k: SharePartitionKey,
    what: string,
    local: () => Promise<R>,
    remote: (leader: number) => Promise<R>,
    failed: (errorCode: number) => R,
  ): Promise<R> {
    const codeOf = (r: R) => (typeof r === 'number' ? r : r.errorCode)
    const deadline = this.p.clock.now() + RETRY_FOR_MS
    let last: number = ErrorCode.COORDINATOR_NOT_AVAILABLE
    for (let round = 0; !this.closed; round++) {
      if (round > 0) {
        if (this.p.clock.now() >= deadline) break
        await this.sleep(Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** (round - 1)))
      }
      const leader = await this.leaderOf(k)
      if (typeof leader !== 'number') {
        last = leader.errorCode
        if (!RETRIABLE.has(last)) return failed(last)
        continue
      }
      let r: R
      try {
        r = leader === this.p.nodeId ? await local() : await remote(leader)
      } catch (err) {
        this.p.logger.debug(`${what} of share state at broker ${leader} failed: ${err}`)
        last = ErrorCode.NETWORK_EXCEPTION
        continue
      }
      last = codeOf(r)
      if (!RETRIABLE.has(last)) return r
    }
    this.p.logger.warn(
      `share state ${what} of ${k.groupId} ${k.topicId}-${k.partition} failed: its __share_group_state leader did not answer (last error ${last})`,
    )
    return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE)
  }

  /** The leader of the key's state partition (the topic is created on first use), or an error. */
  private async leaderOf(k: SharePartitionKey): Promise<number | { errorCode: number }> {
    const image = this.p.image()
    let topic = image.topics.get(SHARE_STATE_TOPIC)
    if (topic === undefined) {
      const code = await this.p.coordinator.ensureTopic()
      if (code !== ErrorCode.NONE) return { errorCode: code }
      topic = this.p.image().topics.get(SHARE_STATE_TOPIC)
      if (topic === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    }
    const leader = topic.partitions[this.p.coordinator.partitionFor(k)]?.leader ?? -1
    return leader < 0 ? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE } : leader
  }

  private async remoteRead(leader: number, k: SharePartitionKey): Promise<ReadStateResult> {
    const res = await this.clientFor(leader).send(
      {
        apiKey: 84,
        version: 0,
        request: readShareGroupStateRequestCodec,
        response: readShareGroupStateResponseCodec,
      },
      {
        groupId: k.groupId,
        topics: [{ topicId: k.topicId, partitions: [{ partition: k.partition, leaderEpoch: -1 }] }],
      },
    )
    const r = res.results
      .find((t) => t.topicId === k.topicId)
      ?.partitions.find((x) => x.partition === k.partition)
    if (r === undefined) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, state: null }
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, state: null }
    // Start offset -1: nothing persisted for this share-partition yet.
    if (r.startOffset < 0n) return { errorCode: ErrorCode.NONE, state: null }
    return {
      errorCode: ErrorCode.NONE,
      state: {
        snapshotEpoch: 0,
        stateEpoch: r.stateEpoch,
        leaderEpoch: -1,
        startOffset: r.startOffset,
        stateBatches: r.stateBatches,
      },
    }
  }

  private async remoteWrite(leader: number, k: SharePartitionKey, v: ShareStateValue): Promise<number> {
    const res = await this.clientFor(leader).send(
      {
        apiKey: 85,
        version: 0,
        request: writeShareGroupStateRequestCodec,
        response: writeShareGroupStateResponseCodec,
      },
      {
        groupId: k.groupId,
        topics: [
          {
            topicId: k.topicId,
            partitions: [
              {
                partition: k.partition,
                stateEpoch: v.stateEpoch,
                leaderEpoch: v.leaderEpoch,
                startOffset: v.startOffset,
                stateBatches: v.stateBatches.map((b) => ({ ...b })),
              },
            ],
          },
        ],
      },
    )
    const r = res.results
      .find((t) => t.topicId === k.topicId)
      ?.partitions.find((x) => x.partition === k.partition)
    return r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR
  }

  /** One wire client per broker, at the address the image gives now (a moved broker gets a new one). */
  private clientFor(brokerId: number): Pick<BrokerClient, 'send'> {
    if (this.p.connect !== undefined) return this.p.connect(brokerId)
    const reg = this.p.image().brokers.get(brokerId)
    const ep = reg?.endpoints.find((e) => e.listenerName === this.p.listenerName) ?? reg?.endpoints[0]
    if (ep === undefined) throw new Error(`broker ${brokerId} is not known`)
    const address = `${ep.host}:${ep.port}`
    const cur = this.clients.get(brokerId)
    if (cur !== undefined && cur.address === address) return cur.client
    cur?.client.close()
    const client = new BrokerClient({
      host: ep.host,
      port: ep.port,
      clientId: `broker-${this.p.nodeId}-share-persister`,
      requestTimeoutMs: this.p.requestTimeoutMs,
      logger: this.p.logger,
    })
    this.clients.set(brokerId, { address, client })
    return client
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.p.clock.setTimeout(resolve, ms))
  }
}
