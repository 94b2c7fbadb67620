// The composition root: the only module that imports every layer. It parses the config, opens the
// metadata store, starts storage and the data path, builds the handler registry, binds the
// listeners, registers this broker in the metadata, and tears everything down in reverse order.
//
// Start order: config → metadata store (meta.properties, topics) → LogManager (recovers logs) →
// ReplicaManager (partitions for the image) → registry/dispatcher → listeners → register broker.
// Stop order (SIGTERM): answer parked group requests → stop accepting and finish in-flight requests → replica manager (producer
// snapshots) → LogManager.shutdown (flush, checkpoints, clean-shutdown marker) → metadata store.

import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Clock } from '../common/clock.ts'
import { systemClock } from '../common/clock.ts'
import type { Fs } from '../common/fs.ts'
import { type Logger, LogLevel } from '../common/logger.ts'
import { nodeFs } from '../common/node-fs.ts'
import { type BrokerConfig, parseBrokerConfig } from '../config/broker-config.ts'
import { HTTP_LISTENERS_KEY, parseHttpListener } from '../config/broker-defs-http.ts'
import { brokerLogger, loggingSetup } from '../config/broker-defs-log4j.ts'
import { type ConfigInput, formatProblem, inputsFromObject } from '../config/config-input.ts'
import { endpointString } from '../config/listeners.ts'
import { toLogManagerConfig } from '../config/log-config-mapping.ts'
import type { ZkController } from '../controller/zk-controller.ts'
import { openEmbeddedMetadataStore } from '../metadata/embedded/embedded-store.ts'
import type { BrokerEndpoint } from '../metadata/image.ts'
import type { MetadataStore } from '../metadata/store.ts'
import type { ZkMetadataStore } from '../metadata/zk/zk-store.ts'
import { SocketServer } from '../network/listener.ts'
import type { Observability } from '../observability/observability.ts'
import { crc32cImplementation } from '../protocol/primitives/crc32c.ts'
import type { Authorizer } from '../security/authorizer.ts'
import { TlsConfigError } from '../security/tls-config.ts'
import { Dispatcher } from '../server/dispatcher.ts'
import { ZkFeatureStore } from '../server/handlers/feature-state.ts'
import { Registry } from '../server/registry.ts'
import { LogManager } from '../storage/log-manager.ts'
import { authorizerSettings, guardHandlers, startAuthorizer } from './authorizer-wiring.ts'
import { StandaloneClusterRole, ZkClusterRole } from './cluster-role.ts'
import { CLUSTER_HANDLERS, HANDLERS } from './handlers.ts'
import { type BrokerClientQuotas, setUpClientQuotas } from './quota-wiring.ts'
import { type BrokerSasl, SaslConfigError, setUpSasl } from './sasl-wiring.ts'
import { type BrokerServices, buildServices } from './services.ts'
import { type BrokerTls, setUpTls } from './tls-wiring.ts'
import { SAMSA_VERSION } from './version.ts'

export interface StartBrokerOptions {
  /** Config as key → value (like server.properties lines). */
  config?: Readonly<Record<string, string | number | boolean | readonly string[] | null | undefined>>
  /** Config pairs already parsed from a file (the CLI); `config` and `overrides` win over them. */
  inputs?: readonly ConfigInput[]
  /** `--override key=value` pairs. */
  overrides?: readonly ConfigInput[]
  /** Shorthand: listen on PLAINTEXT://host:port (0 = any free port). */
  port?: number
  host?: string
  /** Shorthand for log.dirs. */
  logDirs?: readonly string[]
  logger?: Logger
  clock?: Clock
  fs?: Fs
}

export interface RunningBroker {
  readonly version: string
  readonly nodeId: number
  readonly clusterId: string
  /** First listener's bound address. */
  readonly host: string
  readonly port: number
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string
  readonly listeners: readonly { name: string; host: string; port: number }[]
  readonly logDirs: readonly string[]
  readonly config: BrokerConfig
  /** The HTTP listener's bound address (samsa.http.listeners), or null when it is off. */
  readonly httpAddress: { host: string; port: number } | null
  /** Graceful stop: stop accepting, finish in-flight requests, flush, write the clean-shutdown marker. */
  stop(): Promise<void>
}

/** Thrown when the configuration is invalid: one line per problem in `problems`. */
export class BrokerConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(problems.join('\n'))
    this.name = 'BrokerConfigError'
    this.problems = problems
  }
}

export function logLevelFromEnv(): LogLevel {
  const name = (process.env.SAMSA_LOG_LEVEL ?? 'info').toLowerCase() as keyof typeof LogLevel
  return LogLevel[name] ?? LogLevel.info
}

/** ShareGroupHeartbeat, ShareGroupDescribe, ShareFetch, ShareAcknowledge (KIP-932). */
const SHARE_GROUP_API_KEYS: ReadonlySet<number> = new Set([76, 77, 78, 79])

export async function startBroker(opts: StartBrokerOptions = {}): Promise<RunningBroker> {
  // Without a logger of the caller's, the broker's own: the format and per-logger levels from the
  // config (samsa.log.format, samsa.log4j.properties) and environment, as the process entry does.
  const log =
    opts.logger ??
    brokerLogger(
      loggingSetup(
        [
          ...(opts.inputs ?? []),
          ...inputsFromObject(opts.config ?? {}, 'startBroker()'),
          ...(opts.overrides ?? []),
        ],
        process.env,
        (p) => readFileSync(p, 'utf8'),
      ),
    )
  const clock = opts.clock ?? systemClock
  const fs = opts.fs ?? nodeFs

  const shorthand: Record<string, string> = {}
  if (opts.port !== undefined || opts.host !== undefined) {
    shorthand.listeners = `PLAINTEXT://${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`
  }
  if (opts.logDirs !== undefined) shorthand['log.dirs'] = opts.logDirs.join(',')
  const parsed = parseBrokerConfig(
    [...(opts.inputs ?? []), ...inputsFromObject(opts.config ?? {}, 'startBroker()')],
    [...(opts.overrides ?? []), ...inputsFromObject(shorthand, 'startBroker()')],
  )
  for (const w of parsed.warnings) log.warn(formatProblem(w))
  if (!parsed.ok) throw new BrokerConfigError(parsed.errors.map(formatProblem))
  const config = parsed.config

  const cluster = config.zookeeperConnect !== null && config.zookeeperConnect !== ''
  let tls: BrokerTls
  try {
    tls = setUpTls(config, cluster, log)
  } catch (e) {
    if (e instanceof TlsConfigError) throw new BrokerConfigError([e.message])
    throw e
  }
  let azSettings: ReturnType<typeof authorizerSettings>
  try {
    azSettings = authorizerSettings(config)
  } catch (e) {
    tls.release()
    throw new BrokerConfigError([(e as Error).message])
  }
  let sasl: BrokerSasl
  try {
    sasl = setUpSasl(config, cluster, fs, () => clock.now(), log)
  } catch (e) {
    tls.release()
    if (e instanceof SaslConfigError) throw new BrokerConfigError(e.problems)
    throw e
  }
  // The ZooKeeper mode's parts (its client, the controller, replica fetchers) and the HTTP
  // listener's (prom-client with OpenTelemetry's API, the web console) are imported only when
  // configured: without them a standalone broker loads ~170 fewer modules and its live heap is
  // ~4 MB smaller, which every mark-compact would otherwise mark again.
  const zkMode = cluster ? await import('./cluster-mode.ts') : null
  const obsWiring = httpListenerSet(config) ? await import('./observability-wiring.ts') : null
  const opened = zkMode
    ? await zkMode.openZkMode(config, fs, clock, log)
    : {
        store: await openEmbeddedMetadataStore({
          logDirs: config.logDirs,
          nodeId: config.nodeId,
          clusterId: config.clusterId,
          defaultNumPartitions: config.numPartitions,
          defaultReplicationFactor: config.defaultReplicationFactor,
          staticBrokerConfig: config.static,
          fs,
          now: () => clock.now(),
          logger: log.child('metadata'),
        }),
        zk: null,
      }
  const store: MetadataStore & { readonly nodeId: number } = opened.store
  const zkStore = opened.zk === null ? null : (opened.store as ZkMetadataStore)
  const image = store.image()
  const nodeId = store.nodeId
  let controller: ZkController | null = null
  let stopUncleanFollow: (() => void) | null = null
  let role: ZkClusterRole | null = null
  const clustered =
    zkStore === null || zkMode === null
      ? null
      : zkMode.clusterReplication(config, nodeId, zkStore, clock, log)
  const alterPartitions = clustered?.alterPartitions ?? null
  const replication = clustered?.replication

  let logs: LogManager | null = null
  let services: BrokerServices | null = null
  let network: SocketServer | null = null
  let obs: Observability | null = null
  let authorizer: Authorizer | null = null
  let stopObserving: (() => void) | null = null
  let clientQuotas: BrokerClientQuotas | null = null
  let features: ZkFeatureStore | null = null
  try {
    obs = (await obsWiring?.startObservability(config, log)) ?? null
    logs = await LogManager.start({
      fs,
      clock,
      config: toLogManagerConfig(config),
      logger: log.child('storage'),
    })
    services = await buildServices({
      config,
      store,
      logs,
      fs,
      clock,
      log,
      nodeId,
      producerIds:
        opened.zk === null || zkMode === null ? undefined : zkMode.zkProducerIds(opened.zk, nodeId),
      replication,
      cluster: (s) => {
        if (zkStore === null) return new StandaloneClusterRole(() => store.image())
        role = new ZkClusterRole(
          zkStore,
          (version) => s.replicaManager.ready(version),
          (partitions) => s.replicaManager.deleteStoppedReplicas(partitions),
        )
        return role
      },
    })
    const users = sasl.users(opened.zk)
    const now = () => clock.now()
    clientQuotas = setUpClientQuotas(config, sasl.settings, fs, opened.zk, now, log.child('quotas'))
    await clientQuotas.start()
    if (azSettings !== null) {
      authorizer = await startAuthorizer(
        azSettings,
        opened.zk,
        fs,
        config.logDirs[0]!,
        log.child('authorizer'),
      )
      services.authorizer = authorizer
    }
    // The finalized features (ApiVersions, UpdateFeatures): /feature in ZooKeeper mode, followed.
    if (opened.zk !== null) {
      features = new ZkFeatureStore(opened.zk)
      await features.start()
      services.features = features
    }
    services.isActiveController = () => (zkStore === null ? true : (controller?.isActive ?? false))
    // With share groups off (group.share.enable=false), their APIs are not served nor advertised.
    const shareOff = config.values.get('group.share.enable')?.value === false
    const handlers = [
      ...HANDLERS.filter((h) => !(shareOff && SHARE_GROUP_API_KEYS.has(h.apiKey))),
      ...(cluster ? CLUSTER_HANDLERS : []),
      ...sasl.handlers(users),
      ...clientQuotas.handlers,
    ]
    const registry = new Registry<BrokerServices>(authorizer === null ? handlers : guardHandlers(handlers))
    services.setApiRanges(() => registry.ranges())
    if (obs !== null && obsWiring !== null) {
      const live = services
      stopObserving = obsWiring.attachObservability(obs, {
        nodeId,
        store,
        services: live,
        isActiveController: () => (zkStore === null ? true : (controller?.isActive ?? false)),
        users,
      })
      obs.readiness.markLogsLoaded()
    }
    const dispatcher = new Dispatcher(
      registry,
      services,
      log.child('request'),
      undefined,
      obs?.requests ?? null,
      clientQuotas.manager,
    )
    network = new SocketServer(
      sasl.gate(dispatcher.dispatch, users),
      {
        maxFrameSize: config.socketRequestMaxBytes,
        maxInFlight: 64,
        idleMs: config.connectionsMaxIdleMs,
        maxConnections: config.maxConnections,
        ...clientQuotas.network,
      },
      log.child('network'),
    )
    const bound = await network.listen(
      config.listeners.map((l) => ({
        name: l.listenerName,
        host: l.host ?? '',
        port: l.port,
        tls: tls.listeners.get(l.listenerName),
      })),
    )
    const server = network
    obs?.connections.watch(bound, () => server.connectionsByListener())
    obs?.readiness.markListenersUp()
    await store.registerBroker(registration(config, nodeId, bound))
    obs?.readiness.markRegistered({ nodeId, image: () => store.image(), cluster })
    if (opened.zk !== null && zkMode !== null) {
      controller = zkMode.zkController(opened.zk, nodeId, config, clock, log)
      ;(role as ZkClusterRole | null)?.setController(controller)
      await controller.start()
      const active = controller
      stopUncleanFollow = zkMode.followUncleanElectionConfig(store, () => active, log.child('controller'))
    }
  } catch (err) {
    clientQuotas?.stop()
    authorizer?.stop()
    features?.close()
    alterPartitions?.shutdown()
    await controller?.stop().catch(() => {})
    services?.beginShutdown()
    await network?.close(0).catch(() => {})
    await services?.close().catch(() => {})
    await logs?.shutdown().catch(() => {})
    await store.close().catch(() => {})
    stopObserving?.()
    await obs?.close().catch(() => {})
    tls.release()
    sasl.release()
    throw err
  }

  // Before the started line, which tests and tools wait for.
  if (crc32cImplementation !== 'addon') {
    const used = crc32cImplementation === 'js' ? 'the pure-JS code' : '@node-rs/crc32'
    log.info(
      `CRC-32C checks run on ${used}, slower than the addon native/build/crc32c.node, which is not loaded (\`npm run build:native\` builds it)`,
    )
  }
  const first = network.bound[0]
  const listenerText = network.bound.map((b) => `${b.name}://${b.host || '0.0.0.0'}:${b.port}`).join(',')
  log.info(
    `Samsa ${SAMSA_VERSION} started: node.id=${nodeId} cluster.id=${image.clusterId} listeners=${listenerText} log.dirs=${config.logDirs.join(',')}${obs === null ? '' : ` http=${obs.url}`}`,
  )

  let stopping: Promise<void> | null = null
  const running: RunningBroker = {
    version: SAMSA_VERSION,
    nodeId,
    clusterId: image.clusterId,
    host: first.host,
    port: first.port,
    bootstrap: `${first.host}:${first.port}`,
    listeners: network.bound,
    logDirs: config.logDirs,
    config,
    httpAddress: obs?.address ?? null,
    stop() {
      stopping ??= (async () => {
        obs?.readiness.markStopping()
        if (zkStore !== null && zkMode !== null)
          await zkMode.controlledShutdown({
            config,
            brokerId: nodeId,
            brokerEpoch: zkStore.brokerEpoch,
            image: () => zkStore.image(),
            controller,
            clock,
            log: log.child('controlled-shutdown'),
          })
        // With ZooKeeper unreachable, the controller's last writes and the session's close would
        // wait for it forever: the broker stops anyway (its session then expires on its own).
        stopUncleanFollow?.()
        if (controller !== null) await bounded(controller.stop(), ZK_STOP_MS, log, 'stopping the controller')
        alterPartitions?.shutdown()
        authorizer?.stop()
        clientQuotas?.stop()
        features?.close()
        await shutdown(log, network!, services!, logs!, store)
        stopObserving?.()
        await obs?.close()
        tls.release()
        sasl.release()
      })()
      return stopping
    },
  }
  return running
}

async function shutdown(
  log: Logger,
  network: SocketServer,
  services: BrokerServices,
  logs: LogManager,
  store: MetadataStore & { close(): Promise<void> },
): Promise<void> {
  log.info('shutting down')
  services.beginShutdown()
  await network.close(3000)
  await services.close()
  await logs.shutdown()
  await bounded(store.close(), ZK_STOP_MS, log, 'closing the metadata store')
  log.info('shut down completed')
}

/** Whether samsa.http.listeners names a listener (metrics, health, web console). */
function httpListenerSet(config: BrokerConfig): boolean {
  const text = config.values.get(HTTP_LISTENERS_KEY)?.value
  const listener = typeof text === 'string' ? parseHttpListener(text) : null
  return listener !== null && typeof listener !== 'string'
}

/** How long a stop waits for ZooKeeper before going on without it. */
const ZK_STOP_MS = 5000

async function bounded(p: Promise<void>, ms: number, log: Logger, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((r) => {
    timer = setTimeout(() => r('late'), ms)
  })
  try {
    if ((await Promise.race([p.then(() => 'done' as const), late])) === 'late')
      log.warn(`${what} took over ${ms} ms (ZooKeeper unreachable?); going on`)
  } catch (e) {
    log.warn(`${what} failed: ${(e as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}

/** What Metadata tells clients: advertised listeners, with port 0 replaced by the bound port. */
function registration(
  config: BrokerConfig,
  nodeId: number,
  bound: readonly { name: string; host: string; port: number }[],
) {
  const endpoints: BrokerEndpoint[] = config.advertisedListeners.map((a) => {
    const b = bound.find((x) => x.name === a.listenerName)
    // Kafka advertises the canonical host name when the listener names no host.
    const host = a.host === null || a.host === '' || a.host === '0.0.0.0' ? hostname() : a.host
    return {
      listenerName: a.listenerName,
      securityProtocol: a.securityProtocol,
      host,
      port: a.port === 0 && b !== undefined ? b.port : a.port,
    }
  })
  const e0 = endpoints[0]
  if (e0 === undefined)
    throw new BrokerConfigError([
      `No advertised listener in ${config.listeners.map(endpointString).join(',')}`,
    ])
  return { id: nodeId, host: e0.host, port: e0.port, rack: config.rack, endpoints }
}
