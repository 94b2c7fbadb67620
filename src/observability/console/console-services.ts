// What the console needs of the running broker, as one interface so console/ imports no broker
// code: the metadata store and image, the handler services whose functions the admin routes call
// (the same calls CreateTopics, DeleteTopics, CreatePartitions and IncrementalAlterConfigs make),
// the replica manager (reads and the append path), the group coordinator, and the counters the
// time series samples. broker/observability-wiring.ts builds it from BrokerServices.

import type { GroupCoordinator } from '../../coordinator/group/group-coordinator.ts'
import type { MetadataImage } from '../../metadata/image.ts'
import type { ReplicaManager } from '../../replication/replica-manager.ts'
import type { ConfigChangeHooks, ConfigServices } from '../../server/handlers/alter-configs-shared.ts'
import type { TopicsReadyHook } from '../../server/handlers/create-topics.ts'
import type { RequestMetrics } from '../request-metrics.ts'
import type { TopicMetrics } from '../topic-metrics.ts'
import type { ConsoleUsers } from './basic-auth.ts'

export interface ConsoleServices extends ConfigServices, ConfigChangeHooks, TopicsReadyHook {
  readonly replicaManager: ReplicaManager
  readonly groupCoordinator: Pick<GroupCoordinator, 'listGroups' | 'describeGroups' | 'fetchOffsets'>
}

export interface ConsoleDeps {
  readonly services: ConsoleServices
  image(): MetadataImage
  /** Whether this broker is the active controller (standalone: always). */
  isActiveController(): boolean
  /** The per-topic counters (bytes/messages in/out) and per-API request histograms. */
  readonly topics: TopicMetrics
  readonly requests: RequestMetrics
  readonly readOnly: boolean
  /** Basic auth users; null: no authentication (samsa.http.console.auth=none). */
  readonly users: ConsoleUsers | null
  /** Wall clock (ms), injectable for tests. */
  now(): number
}
