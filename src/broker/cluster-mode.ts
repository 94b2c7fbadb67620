// Start-up and shut-down steps that only a broker in ZooKeeper mode takes: reaching ZooKeeper
// (one clear line when it cannot, naming the address and both ways out, then retrying until
// zookeeper.connection.timeout.ms), the ZooKeeper metadata store, the replication parts (replica
// fetchers, AlterPartition, replication throttles) and the controller, and the controlled shutdown
// on a graceful stop (ask the controller to move this broker's leaderships away, as Kafka's broker
// does, retried controlled.shutdown.max.retries times). broker.ts imports this module only when
// zookeeper.connect is set, so a standalone broker loads neither the ZooKeeper client nor the
// controller (less code on its heap: shorter full GCs).

import { BrokerClient } from '../client/broker-client.ts'
import type { Clock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import type { Logger } from '../common/logger.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import { clusterSetting, interBrokerListener } from '../config/broker-defs-cluster.ts'
import { NetworkControllerChannel } from '../controller/controller-channel.ts'
import { ZkController } from '../controller/zk-controller.ts'
import type { MetadataImage } from '../metadata/image.ts'
import type { MetadataStore } from '../metadata/store.ts'
import { bootstrapZk } from '../metadata/zk/zk-bootstrap.ts'
import type { ZkClient } from '../metadata/zk/zk-client.ts'
import { ZkProducerIdAllocator } from '../metadata/zk/zk-producer-ids.ts'
import { connectZk } from '../metadata/zk/zk-real.ts'
import { RenewingZkClient } from '../metadata/zk/zk-renewing.ts'
import { ZkMetadataStore } from '../metadata/zk/zk-store.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import {
  controlledShutdownRequestCodec,
  controlledShutdownResponseCodec,
} from '../protocol/generated/messages/controlled-shutdown.ts'
import { AlterPartitionManager, controllerEndpoint } from '../replication/alter-partition-manager.ts'
import { ReplicaFetcherManager } from '../replication/fetcher/fetcher-manager.ts'
import { ReplicationQuotas } from '../replication/replication-quota.ts'
import type { LocalController } from './cluster-role.ts'
import { ResolvingLeaderEndPoint } from './replica-endpoints.ts'

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

/** ZooKeeper mode: connect, agree on identities, open the store that follows the controller. */
export async function openZkMode(config: BrokerConfig, fs: Fs, clock: Clock, log: Logger) {
  const zk = await connectZookeeper(config, log)
  try {
    const identity = await bootstrapZk(zk, {
      fs,
      logDirs: config.logDirs,
      brokerId: config.nodeId,
      reservedBrokerMaxId: clusterSetting(config.values, 'reserved.broker.max.id', 1000),
      now: () => clock.now(),
    })
    const store = new ZkMetadataStore({
      zk,
      clusterId: identity.clusterId,
      nodeId: identity.brokerId,
      defaultNumPartitions: config.numPartitions,
      defaultReplicationFactor: config.defaultReplicationFactor,
      staticBrokerConfig: config.static,
      logger: log.child('metadata'),
      now: () => clock.now(),
    })
    await store.start()
    return { store, zk }
  } catch (e) {
    await zk.close().catch(() => {})
    throw e
  }
}

/** The producer ids of this cluster: blocks taken from /latest_producer_id_block. */
export function zkProducerIds(zk: ZkClient, nodeId: number): ZkProducerIdAllocator {
  return new ZkProducerIdAllocator(zk, nodeId)
}

/** What a replica of a ZooKeeper cluster adds to the ReplicaManager: ISR changes, fetchers, throttles. */
export function clusterReplication(
  config: BrokerConfig,
  nodeId: number,
  store: ZkMetadataStore,
  clock: Clock,
  log: Logger,
) {
  const alterPartitions = new AlterPartitionManager({
    brokerId: nodeId,
    brokerEpoch: () => store.brokerEpoch,
    controller: () => controllerEndpoint(store.image(), interBrokerListener(config)),
    clock,
    logger: log.child('alter-partition'),
  })
  const quotas = replicationQuotas(config, nodeId, clock)
  return {
    alterPartitions,
    replication: {
      alterIsr: (item: Parameters<AlterPartitionManager['submit']>[0]) => alterPartitions.submit(item),
      fetchers: replicaFetchers(config, nodeId, store, clock, log, quotas),
      replicaLagTimeMaxMs: clusterSetting(config.values, 'replica.lag.time.max.ms', 30000),
      quotas,
    },
  }
}

/** This broker's controller (it competes for /controller once started). */
export function zkController(zk: ZkClient, nodeId: number, config: BrokerConfig, clock: Clock, log: Logger) {
  return new ZkController({
    zk,
    brokerId: nodeId,
    channel: new NetworkControllerChannel({
      clientId: `broker-${nodeId}-controller`,
      listenerName: interBrokerListener(config),
      clock,
      logger: log.child('controller-channel'),
    }),
    clock,
    logger: log.child('controller'),
    config: controllerConfig(config),
  })
}

/** The fetchers that copy the partitions this broker follows (replica.fetch.* configs). */
function replicaFetchers(
  config: BrokerConfig,
  nodeId: number,
  store: ZkMetadataStore,
  clock: Clock,
  log: Logger,
  quotas: ReplicationQuotas,
) {
  const v = config.values
  const listenerName = interBrokerListener(config)
  const requestTimeoutMs = clusterSetting(v, 'replica.socket.timeout.ms', 30000)
  const logger = log.child('replica-fetcher')
  return new ReplicaFetcherManager({
    brokerId: nodeId,
    numFetchers: clusterSetting(v, 'num.replica.fetchers', 1),
    endpointFor: (leaderId) =>
      new ResolvingLeaderEndPoint(leaderId, {
        brokerId: nodeId,
        brokerEpoch: () => store.brokerEpoch,
        image: () => store.image(),
        listenerName,
        requestTimeoutMs,
        logger,
      }),
    clock,
    logger,
    quota: quotas.follower,
    config: {
      maxWaitMs: clusterSetting(v, 'replica.fetch.wait.max.ms', 500),
      minBytes: clusterSetting(v, 'replica.fetch.min.bytes', 1),
      maxBytes: clusterSetting(v, 'replica.fetch.response.max.bytes', 10485760),
      partitionMaxBytes: clusterSetting(v, 'replica.fetch.max.bytes', 1048576),
      backoffMs: clusterSetting(v, 'replica.fetch.backoff.ms', 1000),
    },
  })
}

/** Replication throttles (KIP-73): rates from the dynamic configs, over Kafka's quota window. */
function replicationQuotas(config: BrokerConfig, nodeId: number, clock: Clock): ReplicationQuotas {
  return new ReplicationQuotas({
    brokerId: nodeId,
    clock,
    window: {
      samples: clusterSetting(config.values, 'replication.quota.window.num', 11),
      windowMs: clusterSetting(config.values, 'replication.quota.window.size.seconds', 1) * 1000,
    },
    staticRates: {
      leader: config.static.get('leader.replication.throttled.rate'),
      follower: config.static.get('follower.replication.throttled.rate'),
    },
  })
}

function controllerConfig(config: BrokerConfig) {
  return {
    autoLeaderRebalanceEnable: clusterSetting(config.values, 'auto.leader.rebalance.enable', true),
    leaderImbalanceCheckIntervalMs:
      clusterSetting(config.values, 'leader.imbalance.check.interval.seconds', 300) * 1000,
    leaderImbalancePerBrokerPercentage: clusterSetting(
      config.values,
      'leader.imbalance.per.broker.percentage',
      10,
    ),
    uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
    interBrokerListenerName: interBrokerListener(config),
  }
}
