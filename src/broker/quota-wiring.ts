// The broker's client quotas and connection limits at startup: the quota store of the metadata mode
// (ZooKeeper /config/users|clients, or samsa-client-quotas.json), loaded into the quota manager
// before the listeners open and reloaded whenever the store reports a change; the
// AlterClientQuotas / DescribeClientQuotas handlers over that store; and the network options read
// from the static config with Kafka's names: quota.window.num, quota.window.size.seconds,
// max.connections.per.ip, max.connections.per.ip.overrides, max.connection.creation.rate, and the
// pre-authentication frame limit of SASL listeners (sasl.server.max.receive.size).

import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { type ClientQuotaStore, FileClientQuotaStore } from '../metadata/client-quota-store.ts'
import type { ZkClient } from '../metadata/zk/zk-client.ts'
import { ZkClientQuotaStore } from '../metadata/zk/zk-client-quotas.ts'
import { type NetworkOptions, parsePerIpOverrides } from '../network/listener.ts'
import { ClientQuotaManager } from '../security/quota-manager.ts'
import type { SaslSettings } from '../security/sasl-config.ts'
import type { AnyHandler } from '../server/handler.ts'
import { alterClientQuotasHandler, describeClientQuotasHandler } from '../server/handlers/client-quotas.ts'

export interface BrokerClientQuotas {
  readonly manager: ClientQuotaManager
  readonly handlers: AnyHandler<unknown>[]
  /** Per-IP limits, connection rate and frame limits for the SocketServer. */
  readonly network: Partial<NetworkOptions>
  /** Loads the quotas (before the listeners open) and follows the store's changes. */
  start(): Promise<void>
  stop(): void
}

function positiveInt(raw: ReadonlyMap<string, string>, key: string): number | undefined {
  const text = raw.get(key)
  if (text === undefined) return undefined
  const n = Number(text.trim())
  if (!Number.isInteger(n) || n < 0) throw new Error(`Invalid value ${text} for configuration ${key}`)
  return n
}

export function setUpClientQuotas(
  config: BrokerConfig,
  sasl: SaslSettings,
  fs: Fs,
  zk: ZkClient | null,
  now: () => number,
  log: Logger,
): BrokerClientQuotas {
  const raw = config.static
  const samples = positiveInt(raw, 'quota.window.num') ?? 11
  const windowSeconds = positiveInt(raw, 'quota.window.size.seconds') ?? 1
  const manager = new ClientQuotaManager(now, { samples, windowMs: windowSeconds * 1000 })
  const store: ClientQuotaStore =
    zk === null ? new FileClientQuotaStore(fs, config.logDirs[0]!) : new ZkClientQuotaStore(zk, log)
  const perIp = positiveInt(raw, 'max.connections.per.ip')
  const overrides = raw.get('max.connections.per.ip.overrides')
  const rate = positiveInt(raw, 'max.connection.creation.rate')
  const network: Partial<NetworkOptions> = {
    maxConnectionsPerIp: perIp === undefined || perIp >= 2147483647 ? undefined : perIp,
    maxConnectionsPerIpOverrides: overrides === undefined ? undefined : parsePerIpOverrides(overrides),
    maxConnectionCreationRate: rate === undefined || rate >= 2147483647 ? undefined : rate,
    frameLimitFor: (listener) => (sasl.listeners.has(listener) ? sasl.maxReceiveSize : undefined),
  }
  let unwatch: (() => void) | null = null
  let reloading: Promise<void> = Promise.resolve()
  const reload = () => {
    reloading = reloading
      .then(async () => manager.setQuotas(await store.list()))
      .catch((e) => log.warn(`reloading client quotas failed: ${(e as Error).message}`))
    return reloading
  }
  return {
    manager,
    handlers: [alterClientQuotasHandler(store), describeClientQuotasHandler(store)],
    network,
    async start() {
      manager.setQuotas(await store.list())
      unwatch = store.watch(() => {
        reload()
      })
    },
    stop() {
      unwatch?.()
    },
  }
}
