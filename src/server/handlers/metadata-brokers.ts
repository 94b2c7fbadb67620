// What Metadata and DescribeCluster tell clients about the brokers, shared by both handlers: the live
// brokers as seen through the listener a request came in on, and the authorized-operations bit
// fields Kafka reports when no authorizer is configured.
//
// Kafka lists a broker only when it has an endpoint on the request's listener (clients must reach
// it the way they reached us). One deviation: when the request's listener is unknown to every
// registered broker (a wiring mistake, or a connection accepted before the registration was
// published), each broker's first advertised endpoint is used rather than an empty list, which
// would leave clients with nowhere to go.

import type { BrokerId } from '../../common/ids.ts'
import type { BrokerRegistration, MetadataImage } from '../../metadata/image.ts'

export interface BrokerAddress {
  readonly id: BrokerId
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

/** The endpoint of `broker` on `listener` (case-insensitive), or null when it has none. */
export function endpointOn(broker: BrokerRegistration, listener: string): BrokerAddress | null {
  const wanted = listener.toUpperCase()
  const e = broker.endpoints.find((x) => x.listenerName.toUpperCase() === wanted)
  return e ? { id: broker.id as BrokerId, host: e.host, port: e.port, rack: broker.rack } : null
}

function knownListener(image: MetadataImage, listener: string): boolean {
  const wanted = listener.toUpperCase()
  for (const b of image.brokers.values())
    if (b.endpoints.some((e) => e.listenerName.toUpperCase() === wanted)) return true
  return false
}

/**
 * Live brokers reachable on `listener`, by id: what Metadata's brokers array and DescribeCluster
 * list. A broker is live when it is registered in the image.
 */
export function liveBrokers(image: MetadataImage, listener: string): Map<number, BrokerAddress> {
  const out = new Map<number, BrokerAddress>()
  const fallback = !knownListener(image, listener)
  const ids = [...image.brokers.keys()].sort((a, b) => a - b)
  for (const id of ids) {
    const b = image.brokers.get(id)!
    const address = fallback
      ? { id: b.id as BrokerId, host: b.host, port: b.port, rack: b.rack }
      : endpointOn(b, listener)
    if (address) out.set(id, address)
  }
  return out
}

/** The "not requested" value of every authorized-operations field (Integer.MIN_VALUE). */
export const AUTHORIZED_OPS_NOT_REQUESTED = -2147483648

// AclOperation codes (READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12). Without an authorizer Kafka reports
// every operation the resource type supports.
const bits = (...ops: number[]) => ops.reduce((acc, op) => acc | (1 << op), 0)

/** READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
export const TOPIC_AUTHORIZED_OPS = bits(3, 4, 5, 6, 7, 8, 10, 11)
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_AUTHORIZED_OPS = bits(5, 7, 8, 9, 10, 11, 12)
