// Wires observability (src/observability) into the broker when samsa.http.listeners is set: starts
// the HTTP listener, and gives the gauges their view of the running broker (image, hosted
// partitions, controller, the group coordinator's committed offsets). Kept out of broker.ts so the
// composition root only calls three functions.

import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { HTTP_LISTENERS_KEY, parseHttpListener } from '../config/broker-defs-http.ts'
import type { MetadataStore } from '../metadata/store.ts'
import type { CommittedOffsets } from '../observability/consumer-lag.ts'
import { Observability } from '../observability/observability.ts'
import type { BrokerServices } from './services.ts'

/** The HTTP listener and metrics, or null when samsa.http.listeners is empty. */
export async function startObservability(config: BrokerConfig, log: Logger): Promise<Observability | null> {
  const text = config.values.get(HTTP_LISTENERS_KEY)?.value
  const listener = typeof text === 'string' ? parseHttpListener(text) : null
  // The config validator already refused bad values; a string here cannot happen.
  if (listener === null || typeof listener === 'string') return null
  try {
    return await Observability.start(listener, log.child('http'))
  } catch (e) {
    throw new Error(`${HTTP_LISTENERS_KEY}: cannot listen on ${text}: ${(e as Error).message}`)
  }
}

/** Connects the metrics to the broker's parts; returns what undoes it (the store subscription). */
export function attachObservability(
  obs: Observability,
  p: {
    nodeId: number
    store: MetadataStore
    services: BrokerServices
    /** Whether this broker is the active controller (standalone: always). */
    isActiveController: () => boolean
  },
): () => void {
  const { services, store } = p
  services.traffic = obs.topics
  obs.attach({
    nodeId: p.nodeId,
    image: () => store.image(),
    partition: (topic, index) => services.replicaManager.partition(topic, index),
    isActiveController: p.isActiveController,
    groups: () => committedOffsets(services),
  })
  return store.subscribe((change) => obs.onImage(change.previous, change.image, p.nodeId))
}

function* committedOffsets(services: BrokerServices): Iterable<CommittedOffsets> {
  const gc = services.groupCoordinator
  for (const g of gc.listGroups([], []).groups) {
    const r = gc.fetchOffsets(g.groupId, null)
    if (r.errorCode === 0) yield { group: g.groupId, topics: r.topics }
  }
}
