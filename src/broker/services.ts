// The services object handed to every handler. Each handler declares the small interface it needs
// (e.g. ApiVersionsServices); this class implements all of them over the broker's components.

import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import type { MetadataStore } from '../metadata/store.ts'
import type { ApiVersionsServices } from '../server/handlers/api-versions.ts'
import type { ApiRange } from '../server/registry.ts'
import type { LogManager } from '../storage/log-manager.ts'

export interface ServiceDeps {
  config: BrokerConfig
  store: MetadataStore
  logs: LogManager
  clock: Clock
  log: Logger
  nodeId: number
}

export class BrokerServices implements ApiVersionsServices {
  readonly config: BrokerConfig
  readonly store: MetadataStore
  readonly logs: LogManager
  readonly clock: Clock
  readonly nodeId: number
  private ranges: () => ApiRange[] = () => []

  constructor(d: ServiceDeps) {
    this.config = d.config
    this.store = d.store
    this.logs = d.logs
    this.clock = d.clock
    this.nodeId = d.nodeId
  }

  setApiRanges(fn: () => ApiRange[]): void {
    this.ranges = fn
  }

  apiRanges(): ApiRange[] {
    return this.ranges()
  }

  async close(): Promise<void> {}
}

export async function buildServices(d: ServiceDeps): Promise<BrokerServices> {
  return new BrokerServices(d)
}
