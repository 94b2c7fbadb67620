// Wires observability (src/observability) into the broker when samsa.http.listeners is set: starts
// the HTTP listener, gives the gauges their view of the running broker (image, hosted partitions,
// controller, the group coordinator's committed offsets), and mounts the web console
// (observability/console/) on the same listener with the broker's services. Kept out of broker.ts
// so the composition root only calls two functions.

import { createLogger, type Logger } from '../common/logger.ts'
import { nodeFs } from '../common/node-fs.ts'
import type { BrokerConfig } from '../config/broker-config.ts'
import {
  CONSOLE_AUTH_KEY,
  CONSOLE_READ_ONLY_KEY,
  HTTP_LISTENERS_KEY,
  parseHttpListener,
} from '../config/broker-defs-http.ts'
import type { MetadataStore } from '../metadata/store.ts'
import { FileUserConfigStore, type UserConfigStore } from '../metadata/user-config-store.ts'
import type { ConsoleUsers } from '../observability/console/basic-auth.ts'
import { WebConsole } from '../observability/console/console.ts'
import { committedOffsets } from '../observability/console/groups-view.ts'
import type { HttpListenerServer } from '../observability/http-server.ts'
import { Observability } from '../observability/observability.ts'
import { readSaslSettings } from '../security/sasl-config.ts'
import type { BrokerServices } from './services.ts'

/** The broker logger each Observability was started with (the console logs its changes there). */
const loggers = new WeakMap<Observability, Logger>()

/** The HTTP listener and metrics, or null when samsa.http.listeners is empty. */
export async function startObservability(config: BrokerConfig, log: Logger): Promise<Observability | null> {
  const text = config.values.get(HTTP_LISTENERS_KEY)?.value
  const listener = typeof text === 'string' ? parseHttpListener(text) : null
  // The config validator already refused bad values; a string here cannot happen.
  if (listener === null || typeof listener === 'string') return null
  try {
    const obs = await Observability.start(listener, log.child('http'))
    loggers.set(obs, log)
    return obs
  } catch (e) {
    throw new Error(`${HTTP_LISTENERS_KEY}: cannot listen on ${text}: ${(e as Error).message}`)
  }
}

/** Connects the metrics and the console to the broker's parts; returns what undoes it. */
export function attachObservability(
  obs: Observability,
  p: {
    nodeId: number
    store: MetadataStore
    services: BrokerServices
    /** Whether this broker is the active controller (standalone: always). */
    isActiveController: () => boolean
    /** The SCRAM user store (console basic auth); default: the embedded mode's users file. */
    users?: UserConfigStore
    log?: Logger
  },
): () => void {
  const { services, store } = p
  const log = (p.log ?? loggers.get(obs) ?? createLogger('samsa')).child('console')
  services.traffic = obs.topics
  obs.attach({
    nodeId: p.nodeId,
    image: () => store.image(),
    partition: (topic, index) => services.replicaManager.partition(topic, index),
    isActiveController: p.isActiveController,
    groups: () => committedOffsets(services),
  })
  const unsubscribe = store.subscribe((change) => obs.onImage(change.previous, change.image, p.nodeId))
  const config = services.brokerConfig()
  const web = new WebConsole(
    {
      services,
      image: () => store.image(),
      isActiveController: p.isActiveController,
      topics: obs.topics,
      requests: obs.requests,
      readOnly: config.values.get(CONSOLE_READ_ONLY_KEY)?.value === true,
      users:
        config.values.get(CONSOLE_AUTH_KEY)?.value === 'basic' ? consoleUsers(config, p.users, log) : null,
      now: () => Date.now(),
    },
    log,
  )
  const http = httpServerOf(obs)
  http.mount((req, res, path) => web.serve(req, res, path))
  web.start()
  return () => {
    unsubscribe()
    web.stop()
    http.mount(null)
  }
}

/**
 * The listener Observability owns. It keeps it private (the metrics side has no other use for
 * it); the console is mounted on it here rather than widening Observability's surface.
 */
function httpServerOf(obs: Observability): HttpListenerServer {
  return (obs as unknown as { http: HttpListenerServer }).http
}

/** The SASL users basic auth accepts: SCRAM credentials of the user store, PLAIN JAAS users. */
function consoleUsers(config: BrokerConfig, users: UserConfigStore | undefined, log: Logger): ConsoleUsers {
  const plain = new Map<string, string>()
  for (const l of readSaslSettings(config.static, config.listeners).settings.listeners.values())
    for (const [u, pw] of l.plainUsers) if (!plain.has(u)) plain.set(u, pw)
  let store = users ?? null
  if (store === null && config.zookeeperConnect === null)
    store = new FileUserConfigStore(nodeFs, config.logDirs[0]!)
  if (store === null)
    log.warn('console basic auth: the SCRAM user store is not available here, only PLAIN users are accepted')
  return { plain, scram: (user) => (store === null ? Promise.resolve(new Map()) : store.get(user)) }
}
