// Delivers a transaction's markers to the leaders of its partitions and keeps trying until every
// one is written: the coordinator completes a commit or abort only then (Kafka's
// TransactionMarkerChannelManager). Partitions this broker leads go through the local writer
// (replication/txn-markers.ts); the others are sent to their leader as WriteTxnMarkers over the
// internal wire client. Leaders are looked up in the metadata image at every round, so a marker
// refused with NOT_LEADER_OR_FOLLOWER (or lost with a broken connection) goes to the new leader on
// the next round, after the retry backoff.
//
// A partition whose topic was deleted is dropped (nothing left to mark). A leader that answers
// TRANSACTION_COORDINATOR_FENCED or INVALID_PRODUCER_EPOCH has seen a newer coordinator or
// producer epoch: this coordinator's work is stale, so delivery stops, as Kafka's does. Delivery
// also stops when this broker no longer coordinates the transaction (`stillCoordinator`): the new
// coordinator resends the markers of every Prepare* transaction it loads.
//
// The same per-broker wire clients carry the KIP-890 verification questions of this broker's
// partitions to other coordinators (AddPartitionsToTxn v4 verifyOnly, txn-verifier.ts).

import { BrokerClient } from '../../client/broker-client.ts'
import type { Clock } from '../../common/clock.ts'
import type { ProducerId, TopicName } from '../../common/ids.ts'
import type { Logger } from '../../common/logger.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  addPartitionsToTxnRequestCodec,
  addPartitionsToTxnResponseCodec,
} from '../../protocol/generated/messages/add-partitions-to-txn.ts'
import {
  writeTxnMarkersRequestCodec,
  writeTxnMarkersResponseCodec,
} from '../../protocol/generated/messages/write-txn-markers.ts'
import type {
  LocalTxnMarkerWriter,
  TxnMarker,
  TxnMarkerResult,
  TxnMarkerWriter,
} from '../../replication/txn-markers.ts'
import type { VerifyChannel } from './txn-verifier.ts'

/** What this broker sends to another for transactions: markers, and verification questions. */
export interface RemoteTxnWriter extends TxnMarkerWriter {
  verify?: VerifyChannel
}

export interface MarkerSenderParams {
  readonly nodeId: number
  readonly image: () => MetadataImage
  /** Writes markers on partitions led by this broker (null until the broker wired it). */
  readonly local: () => TxnMarkerWriter | LocalTxnMarkerWriter | null
  /** Writes markers through another broker (its WriteTxnMarkers). */
  readonly remote: (brokerId: number) => RemoteTxnWriter
  readonly clock: Clock
  readonly logger: Logger
  readonly backoffMs: number
}

const STALE = new Set<number>([ErrorCode.TRANSACTION_COORDINATOR_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH])

export class TxnMarkerSender {
  private readonly p: MarkerSenderParams
  private closed = false

  constructor(p: MarkerSenderParams) {
    this.p = p
  }

  close(): void {
    this.closed = true
  }

  get nodeId(): number {
    return this.p.nodeId
  }

  get image(): () => MetadataImage {
    return this.p.image
  }

  /** The local writer (it reaches the replica manager), when the broker gave one. */
  get localWriter(): TxnMarkerWriter | LocalTxnMarkerWriter | null {
    return this.p.local()
  }

  /** AddPartitionsToTxn to another broker, when its channel can carry it. */
  verifyChannel(brokerId: number): VerifyChannel {
    const v = this.p.remote(brokerId).verify
    if (v === undefined) throw new Error(`no verification channel to broker ${brokerId}`)
    return v
  }

  /** Resolves true once every partition has its marker, false when delivery was given up. */
  async deliver(marker: TxnMarker, stillCoordinator: () => boolean): Promise<boolean> {
    const key = (t: string, p: number) => `${t}\u0000${p}`
    const remaining = new Map(marker.partitions.map((p) => [key(p.topic, p.partition), p]))
    for (let round = 0; ; round++) {
      if (this.closed || !stillCoordinator()) return false
      if (round > 0) await this.sleep(this.p.backoffMs)
      if (this.closed || !stillCoordinator()) return false
      const image = this.p.image()
      const byLeader = new Map<number, { topic: string; partition: number }[]>()
      for (const [k, tp] of remaining) {
        const topic = image.topics.get(tp.topic)
        if (topic === undefined) {
          this.p.logger.info(`Dropping the marker of ${tp.topic}-${tp.partition}: the topic is gone`)
          remaining.delete(k)
          continue
        }
        const leader = topic.partitions[tp.partition]?.leader ?? -1
        if (leader < 0) continue
        const list = byLeader.get(leader) ?? []
        list.push(tp)
        byLeader.set(leader, list)
      }
      if (remaining.size === 0) return true
      const answers = await Promise.all(
        [...byLeader].map(([leader, partitions]) => this.send(leader, { ...marker, partitions })),
      )
      for (const results of answers) {
        for (const r of results) {
          if (r.errorCode === ErrorCode.NONE) remaining.delete(key(r.topic, r.partition))
          else if (STALE.has(r.errorCode)) {
            this.p.logger.warn(
              `Marker for producer ${marker.producerId} on ${r.topic}-${r.partition} refused with error ${r.errorCode}; giving up this transaction's markers`,
            )
            return false
          }
        }
      }
      if (remaining.size === 0) return true
    }
  }

  private async send(leader: number, marker: TxnMarker): Promise<TxnMarkerResult[]> {
    const failed = (errorCode: number) =>
      marker.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode }))
    try {
      if (leader === this.p.nodeId) {
        const local = this.p.local()
        return local === null ? failed(ErrorCode.NOT_LEADER_OR_FOLLOWER) : await local.write(marker)
      }
      return await this.p.remote(leader).write(marker)
    } catch (err) {
      this.p.logger.debug(`WriteTxnMarkers to broker ${leader} failed: ${err}`)
      return failed(ErrorCode.NETWORK_EXCEPTION)
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.p.clock.setTimeout(resolve, ms))
  }
}

export interface RemoteMarkerWriters {
  writer(brokerId: number): RemoteTxnWriter
  close(): void
}

/**
 * WriteTxnMarkers v1 to other brokers, one wire client per broker, reached on `listenerName` as the
 * image says now (a broker that restarted elsewhere gets a new client).
 */
export function remoteMarkerWriters(p: {
  readonly nodeId: number
  readonly image: () => MetadataImage
  readonly listenerName: string
  readonly requestTimeoutMs: number
  readonly logger: Logger
}): RemoteMarkerWriters {
  const clients = new Map<number, { address: string; client: BrokerClient }>()
  const clientFor = (brokerId: number): BrokerClient => {
    const reg = p.image().brokers.get(brokerId)
    const ep = reg?.endpoints.find((e) => e.listenerName === p.listenerName) ?? reg?.endpoints[0]
    if (ep === undefined) throw new Error(`broker ${brokerId} is not known`)
    const address = `${ep.host}:${ep.port}`
    const cur = clients.get(brokerId)
    if (cur !== undefined && cur.address === address) return cur.client
    cur?.client.close()
    const client = new BrokerClient({
      host: ep.host,
      port: ep.port,
      clientId: `broker-${p.nodeId}-txn-markers`,
      requestTimeoutMs: p.requestTimeoutMs,
      logger: p.logger,
    })
    clients.set(brokerId, { address, client })
    return client
  }
  return {
    writer: (brokerId) => ({
      verify: async (transactions) =>
        clientFor(brokerId).send(
          {
            apiKey: 24,
            version: 4,
            request: addPartitionsToTxnRequestCodec,
            response: addPartitionsToTxnResponseCodec,
          },
          { ...addPartitionsToTxnRequestCodec.defaults(4), transactions },
        ),
      async write(marker) {
        const byTopic = new Map<string, number[]>()
        for (const tp of marker.partitions)
          byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
        const res = await clientFor(brokerId).send(
          {
            apiKey: 27,
            version: 1,
            request: writeTxnMarkersRequestCodec,
            response: writeTxnMarkersResponseCodec,
          },
          {
            markers: [
              {
                producerId: marker.producerId as ProducerId,
                producerEpoch: marker.producerEpoch,
                transactionResult: marker.commit,
                coordinatorEpoch: marker.coordinatorEpoch,
                topics: [...byTopic].map(([name, partitionIndexes]) => ({
                  name: name as TopicName,
                  partitionIndexes,
                })),
              },
            ],
          },
        )
        const out: TxnMarkerResult[] = []
        for (const m of res.markers)
          for (const t of m.topics)
            for (const r of t.partitions)
              out.push({ topic: t.name, partition: r.partitionIndex, errorCode: r.errorCode })
        return out
      },
    }),
    close() {
      for (const c of clients.values()) c.client.close()
      clients.clear()
    },
  }
}
