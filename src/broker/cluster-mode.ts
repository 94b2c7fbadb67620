// Start-up and shut-down steps that only a broker in ZooKeeper mode takes: reaching ZooKeeper
// (one clear line when it cannot, naming the address and both ways out, then retrying until
// zookeeper.connection.timeout.ms), and the controlled shutdown on a graceful stop (ask the
// controller to move this broker's leaderships away, as Kafka's broker does, retried
// controlled.shutdown.max.retries times).

import { BrokerClient } from '../client/broker-client.ts'
import type { Clock } from '../common/clock.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { clusterSetting } from '../config/broker-defs-cluster.ts'
import type { MetadataImage } from '../metadata/image.ts'
import type { MetadataStore } from '../metadata/store.ts'
import type { ZkClient } from '../metadata/zk/zk-client.ts'
import { connectZk } from '../metadata/zk/zk-real.ts'
import { RenewingZkClient } from '../metadata/zk/zk-renewing.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  controlledShutdownRequestCodec,
  controlledShutdownResponseCodec,
} from '../protocol/generated/messages/controlled-shutdown.ts'
import type { LocalController } from './cluster-role.ts'

/** Thrown when ZooKeeper stayed unreachable: the message is the one line to print. */
export class ZookeeperUnreachableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZookeeperUnreachableError'
  }
}

/** How long to wait quietly before saying that ZooKeeper does not answer. */
const SAY_AFTER_MS = 1000

export async function connectZookeeper(config: BrokerConfig, log: Logger): Promise<ZkClient> {
  const connect = config.zookeeperConnect!
  const line =
    `Cannot reach ZooKeeper at ${connect} (zookeeper.connect): start it with ` +
    'bin/zookeeper-server-start.sh config/zookeeper.properties, or run this broker without ZooKeeper ' +
    '(config/standalone.properties, or --override zookeeper.connect=)'
  const zlog = log.child('zookeeper')
  const open = () =>
    connectZk(
      {
        connect,
        sessionTimeoutMs: config.zookeeperSessionTimeoutMs,
        connectionTimeoutMs: config.zookeeperConnectionTimeoutMs,
      },
      zlog,
    )
  const connecting = open()
  const timer = setTimeout(
    () => log.warn(`${line}; retrying for up to ${config.zookeeperConnectionTimeoutMs} ms`),
    SAY_AFTER_MS,
  )
  try {
    // A request whose connection was lost waits for it up to the session timeout, then fails.
    return new RenewingZkClient(await connecting, open, zlog, {
      reconnectWaitMs: config.zookeeperSessionTimeoutMs,
    })
  } catch (e) {
    throw new ZookeeperUnreachableError(
      `${line}. Gave up after ${config.zookeeperConnectionTimeoutMs} ms (${(e as Error).message})`,
    )
  } finally {
    clearTimeout(timer)
  }
}

export interface ControlledShutdownDeps {
  readonly config: BrokerConfig
  readonly brokerId: number
  readonly brokerEpoch: bigint
  readonly image: () => MetadataImage
  /** The controller in this process, when it is the active one. */
  readonly controller: LocalController | null
  readonly clock: Clock
  readonly log: Logger
}

/** True when the controller moved every leadership it could; false when we stop anyway. */
export async function controlledShutdown(d: ControlledShutdownDeps): Promise<boolean> {
  if (!clusterSetting(d.config.values, 'controlled.shutdown.enable', true)) return false
  const retries = clusterSetting(d.config.values, 'controlled.shutdown.max.retries', 3)
  const backoffMs = clusterSetting(d.config.values, 'controlled.shutdown.retry.backoff.ms', 5000)
  const listener = interBrokerListener(d.config)
  for (let attempt = 1; attempt <= retries; attempt++) {
    let result: { errorCode: number; remaining: readonly unknown[] } | null = null
    try {
      if (d.controller?.isActive === true)
        result = await d.controller.controlledShutdown(d.brokerId, d.brokerEpoch)
      else result = await askController(d, listener)
    } catch (e) {
      d.log.warn(`controlled shutdown attempt ${attempt} failed: ${(e as Error).message}`)
    }
    if (result !== null && result.errorCode === ErrorCode.NONE && result.remaining.length === 0) {
      d.log.info('controlled shutdown succeeded')
      return true
    }
    if (result !== null)
      d.log.warn(
        `controlled shutdown attempt ${attempt}: error ${result.errorCode}, ${result.remaining.length} partitions still led here`,
      )
    if (attempt < retries) await new Promise<void>((r) => d.clock.setTimeout(r, backoffMs))
  }
  d.log.warn('controlled shutdown did not complete; stopping anyway')
  return false
}

async function askController(
  d: ControlledShutdownDeps,
  listener: string,
): Promise<{ errorCode: number; remaining: readonly unknown[] } | null> {
  const image = d.image()
  const controller = image.brokers.get(image.controllerId)
  const endpoint = controller?.endpoints.find((e) => e.listenerName === listener) ?? controller?.endpoints[0]
  if (endpoint === undefined) {
    d.log.warn('controlled shutdown: no controller known yet')
    return null
  }
  const client = new BrokerClient({
    host: endpoint.host,
    port: endpoint.port,
    clientId: `broker-${d.brokerId}-controlled-shutdown`,
    connectTimeoutMs: 5000,
    requestTimeoutMs: 30_000,
  })
  try {
    const res = await client.send(
      {
        apiKey: 7,
        version: 3,
        request: controlledShutdownRequestCodec,
        response: controlledShutdownResponseCodec,
      },
      { brokerId: d.brokerId, brokerEpoch: d.brokerEpoch },
    )
    return { errorCode: res.errorCode, remaining: res.remainingPartitions }
  } finally {
    client.close()
  }
}

/** inter.broker.listener.name, else the listener named after security.inter.broker.protocol. */
export function interBrokerListener(config: BrokerConfig): string {
  const named = clusterSetting<string>(config.values, 'inter.broker.listener.name', '')
  if (named !== '') return named.toUpperCase()
  return clusterSetting<string>(config.values, 'security.inter.broker.protocol', 'PLAINTEXT').toUpperCase()
}

/**
 * When a topic's unclean.leader.election.enable is turned on, the active controller elects leaders
 * for its partitions that have none, from outside the ISR if it must (Kafka's controller does this
 * on the topic config change). Every broker follows config changes; only the active controller acts.
 */
export function followUncleanElectionConfig(
  store: MetadataStore,
  controller: () => LocalController | null,
  log: Logger,
): () => void {
  return store.subscribe((change) => {
    const c = controller()
    if (c === null || !c.isActive || change.topicConfigsChanged.length === 0) return
    for (const name of change.topicConfigsChanged) {
      const topic = change.image.topics.get(name)
      if (topic?.configs.get('unclean.leader.election.enable') !== 'true') continue
      const offline = topic.partitions.filter((p) => p.leader < 0).map((p) => p.partition)
      if (offline.length === 0) continue
      log.info(
        `unclean.leader.election.enable set on ${name}: electing leaders for partitions ${offline.join(',')}`,
      )
      c.electLeaders({
        electionType: 1,
        topicPartitions: [{ topic: name, partitions: offline }],
        timeoutMs: 30_000,
      }).catch((e) => log.warn(`unclean election for ${name} failed: ${(e as Error).message}`))
    }
  })
}
