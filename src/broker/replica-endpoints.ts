// The replica fetcher's connection to a leader, resolved from the metadata image at every fetch:
// a leader that restarted on another address (or is not known yet) is reached where the image says
// it is now, on the inter-broker listener. An unknown leader fails the fetch like a refused
// connection, so the fetcher backs off and tries again.

import { BrokerClientError } from '../client/broker-client.ts'
import type { Logger } from '../common/logger.ts'
import type { MetadataImage } from '../metadata/image.ts'
import type {
  FetchOptions,
  FetchPartitionData,
  FetchPartitionRequest,
  LeaderEndPoint,
} from '../replication/fetcher/leader-endpoint.ts'
import { RemoteLeaderEndPoint, releaseFetched } from '../replication/fetcher/remote-leader-endpoint.ts'

export interface LeaderEndpointDeps {
  readonly brokerId: number
  readonly brokerEpoch: () => bigint
  readonly image: () => MetadataImage
  readonly listenerName: string
  readonly requestTimeoutMs: number
  readonly logger: Logger
}

export class ResolvingLeaderEndPoint implements LeaderEndPoint {
  readonly leaderId: number
  private readonly d: LeaderEndpointDeps
  private current: { address: string; endpoint: RemoteLeaderEndPoint } | null = null
  private closed = false

  constructor(leaderId: number, d: LeaderEndpointDeps) {
    this.leaderId = leaderId
    this.d = d
  }

  private endpoint(): RemoteLeaderEndPoint {
    if (this.closed) throw new BrokerClientError('CLOSED', `connection to broker ${this.leaderId} closed`)
    const reg = this.d.image().brokers.get(this.leaderId)
    const ep = reg?.endpoints.find((e) => e.listenerName === this.d.listenerName) ?? reg?.endpoints[0]
    if (ep === undefined) throw new BrokerClientError('CONNECT', `broker ${this.leaderId} is not known (yet)`)
    const address = `${ep.host}:${ep.port}`
    if (this.current?.address !== address) {
      this.current?.endpoint.close()
      this.current = {
        address,
        endpoint: new RemoteLeaderEndPoint({
          leaderId: this.leaderId,
          host: ep.host,
          port: ep.port,
          brokerId: this.d.brokerId,
          brokerEpoch: this.d.brokerEpoch,
          clientId: `broker-${this.d.brokerId}-fetcher-${this.leaderId}`,
          requestTimeoutMs: this.d.requestTimeoutMs,
          logger: this.d.logger,
        }),
      }
    }
    return this.current.endpoint
  }

  async fetch(partitions: readonly FetchPartitionRequest[], o: FetchOptions): Promise<FetchPartitionData[]> {
    return this.endpoint().fetch(partitions, o)
  }

  release(responses: readonly FetchPartitionData[]): void {
    releaseFetched(responses)
  }

  async fetchEarliestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.endpoint().fetchEarliestOffset(topic, partition, currentLeaderEpoch)
  }

  async fetchLatestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.endpoint().fetchLatestOffset(topic, partition, currentLeaderEpoch)
  }

  close(): void {
    this.closed = true
    this.current?.endpoint.close()
    this.current = null
  }
}
