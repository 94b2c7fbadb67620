// Leader hints (KIP-951) for Produce v10+ and Fetch v16+: when a partition answers that this broker
// does not lead it, the response also says who does (currentLeader) and how to reach that broker
// (nodeEndpoints), so the client moves to the new leader without a Metadata round trip.
//
// Facts matched from Kafka: the leader id and epoch are the partition's in the metadata image
// whether or not that broker is live (-1/-1 when the image has no such partition); a leader is
// listed in nodeEndpoints only when it is live and reachable on the listener the request came in
// on (same rule, and same unknown-listener fallback, as Metadata: metadata-brokers.ts), once however
// many partitions name it. Kafka's order is its hash map's (ascending id for small ids); ours is
// ascending id.
//
// Built lazily by the handlers on the first partition that needs a hint, so a response where every
// partition is fine pays nothing.

import type { BrokerId, Uuid } from '../../common/ids.ts'
import type { MetadataImage, TopicImage } from '../../metadata/image.ts'
import { type BrokerAddress, liveBrokers } from './metadata-brokers.ts'

/** Produce's and Fetch's LeaderIdAndEpoch (the generated types are structurally this). */
export interface LeaderIdAndEpoch {
  leaderId: BrokerId
  leaderEpoch: number
}

/** Produce's and Fetch's NodeEndpoint. */
export interface NodeEndpoint {
  nodeId: BrokerId
  host: string
  port: number
  rack: string | null
}

/** The default currentLeader: what every partition without a hint carries (not written on the wire). */
export const NO_LEADER: LeaderIdAndEpoch = Object.freeze({ leaderId: -1 as BrokerId, leaderEpoch: -1 })

/** Shared empty nodeEndpoints for responses without hints; never mutated. */
export const NO_ENDPOINTS = Object.freeze([]) as unknown as NodeEndpoint[]

/** The hints of one response: currentLeader values, and the endpoints of the leaders they name. */
export class LeaderHints {
  private readonly image: MetadataImage
  private readonly listener: string
  private live: Map<number, BrokerAddress> | null = null
  private readonly nodes = new Map<number, NodeEndpoint>()

  constructor(image: MetadataImage, listener: string) {
    this.image = image
    this.listener = listener
  }

  /**
   * The leader of a partition named by topic name, or by topic id when `topic` is null (Fetch v13+),
   * as the image has it; records the leader's endpoint when it is live on the listener.
   */
  leaderOf(topic: string | null, topicId: Uuid, partition: number): LeaderIdAndEpoch {
    const t: TopicImage | undefined =
      topic !== null ? this.image.topics.get(topic) : this.image.topicsById.get(topicId)
    const p = t?.partitions[partition]
    if (p === undefined) return NO_LEADER
    if (p.leader >= 0 && !this.nodes.has(p.leader)) {
      this.live ??= liveBrokers(this.image, this.listener)
      const a = this.live.get(p.leader)
      if (a !== undefined)
        this.nodes.set(p.leader, { nodeId: a.id, host: a.host, port: a.port, rack: a.rack })
    }
    return { leaderId: p.leader as BrokerId, leaderEpoch: p.leaderEpoch }
  }

  /** The leaders named so far that clients can reach, by ascending id. */
  endpoints(): NodeEndpoint[] {
    if (this.nodes.size === 0) return NO_ENDPOINTS
    return [...this.nodes.values()].sort((a, b) => a.nodeId - b.nodeId)
  }
}
