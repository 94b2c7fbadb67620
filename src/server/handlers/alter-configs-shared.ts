// What AlterConfigs, IncrementalAlterConfigs and DescribeConfigs share: config resource types, the
// services they need, the checks Kafka's broker makes on a resource before the change reaches the
// metadata store (its ConfigAdminManager "preprocessing": duplicate resources and keys, null values,
// broker ids, topic names, resource types), the broker config in effect, and the hooks that apply a
// durable change to the running broker.
//
// Applying changes live: after the store has made a change durable (and not for validateOnly), the
// handlers call `onTopicConfigChange(topics)` for topics whose overrides changed and
// `onBrokerConfigChange()` when a dynamic broker layer changed (which can change the effective config
// of every topic without overrides), and answer only after the hook returns. The broker implements
// them by resolving each affected topic's config (config/topic-config.ts resolveTopicConfig +
// log-config-mapping.ts toLogConfig) and calling Log.updateConfig on its partitions. A broker that
// already applies these from MetadataStore.subscribe (topicConfigsChanged / brokerConfigsChanged)
// may make the hooks no-ops; the hooks exist so the answer can wait for the logs.

import { type BrokerConfig, type BrokerConfigLayers, parseBrokerConfig } from '../../config/broker-config.ts'
import { legacyConfigWarning } from '../../config/legacy-configs.ts'
import { dynamicLayersOf, type MetadataImage } from '../../metadata/image.ts'
import type { MetadataStore } from '../../metadata/store.ts'
import { validateTopicName } from '../../metadata/topic-name.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import { AclOperation, ResourceType as AclResourceType } from '../../security/acl-types.ts'
import { type Authorizing, allows, allowsCluster, type Caller } from '../../security/authorizer-check.ts'

/** DescribeConfigs/AlterConfigs resource types (Kafka's ConfigResource.Type ids). */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const

export const RESOURCE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [2, 'TOPIC'],
  [4, 'BROKER'],
  [8, 'BROKER_LOGGER'],
  [16, 'CLIENT_METRICS'],
  [32, 'GROUP'],
])

/** The broker's loggers, for the BROKER_LOGGER resource (KIP-412). Optional. */
export interface BrokerLoggers {
  /** Logger name → its effective level (FATAL, ERROR, WARN, INFO, DEBUG, TRACE); includes "root". */
  levels(): ReadonlyMap<string, string>
  /** Sets a logger's level, or with null unsets it (it then inherits). */
  setLevel(logger: string, level: string | null): void
}

export interface ConfigServices extends Authorizing {
  /** This broker's node id. */
  readonly nodeId: number
  readonly metadata: MetadataStore
  /** The broker config in effect (static layers; dynamic layers are re-read from the image). */
  brokerConfig(): BrokerConfig
  /** Optional: without it BROKER_LOGGER describes no loggers and cannot be altered. */
  readonly loggers?: BrokerLoggers
}

export interface ConfigChangeHooks {
  /** Topic overrides changed durably: apply the topics' new effective configs to their logs. */
  onTopicConfigChange(topics: readonly string[]): void | Promise<void>
  /** A dynamic broker layer changed durably: effective topic defaults may have changed too. */
  onBrokerConfigChange(): void | Promise<void>
}

export interface Problem {
  readonly errorCode: number
  readonly errorMessage: string | null
}

export const problem = (errorCode: number, errorMessage: string | null): Problem => ({
  errorCode,
  errorMessage,
})

/** The broker's config layers with the current image's dynamic layers, for topic config resolution. */
export function brokerLayers(services: ConfigServices, image: MetadataImage): BrokerConfigLayers {
  return { static: services.brokerConfig().static, ...dynamicLayersOf(image, services.nodeId) }
}

const sameMap = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) =>
  a.size === b.size && [...a].every(([k, v]) => b.get(k) === v)

/**
 * The broker config with the image's dynamic layers: the one the broker supplies when it is up to
 * date, else re-parsed from its static layer (so DescribeConfigs right after AlterConfigs sees the
 * change however the broker refreshes its copy).
 */
export function currentBrokerConfig(services: ConfigServices, image: MetadataImage): BrokerConfig {
  const config = services.brokerConfig()
  const layers = dynamicLayersOf(image, services.nodeId)
  if (
    sameMap(config.dynamicDefault, layers.dynamicDefault) &&
    sameMap(config.dynamicBroker, layers.dynamicBroker)
  )
    return config
  const inputs = [...config.static].map(([key, value]) => ({ key, value }))
  const r = parseBrokerConfig(inputs, [], layers)
  return r.ok ? r.config : config
}

/** Kafka's checks of a BROKER resource name: "" (cluster default) or this node's id. */
export function checkBrokerName(name: string, nodeId: number): Problem | null {
  if (name === '') return null
  if (!/^[+-]?\d+$/.test(name))
    return problem(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`)
  if (Number(name) !== nodeId)
    return problem(
      ErrorCode.INVALID_REQUEST,
      `Unexpected broker id, expected ${nodeId}, but received ${name}`,
    )
  return null
}

/** Kafka's checks of a TOPIC resource name before the change reaches the store. */
export function checkTopicName(name: string): Problem | null {
  if (name === '') return problem(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.')
  const invalid = validateTopicName(name)
  return invalid === null ? null : problem(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
}

/** Indexes of resources that appear more than once (same type and name). */
export function duplicateResources(
  resources: readonly { resourceType: number; resourceName: string }[],
): Set<number> {
  const seen = new Map<string, number[]>()
  resources.forEach((r, i) => {
    const key = `${r.resourceType}:${r.resourceName}`
    seen.set(key, [...(seen.get(key) ?? []), i])
  })
  return new Set([...seen.values()].filter((ix) => ix.length > 1).flat())
}

export const DUPLICATE_RESOURCE = problem(
  ErrorCode.INVALID_REQUEST,
  'Each resource must appear at most once.',
)

/** Duplicate keys and null values (`nullAllowed`: DELETE ops may carry null), as Kafka checks them. */
export function checkConfigList(
  configs: readonly { name: string; value: string | null }[],
  nullAllowed: (i: number) => boolean,
): Problem | null {
  const names = configs.map((c) => c.name)
  if (new Set(names).size !== names.length)
    return problem(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys')
  const nulls = configs.filter((c, i) => c.value === null && !nullAllowed(i)).map((c) => c.name)
  if (nulls.length > 0)
    return problem(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`)
  return null
}

export const unknownResourceType = (type: number): Problem =>
  problem(ErrorCode.INVALID_REQUEST, `Unknown resource type ${type}`)

/**
 * Calls the hooks for the changes that succeeded. A failing hook is logged, not answered: the change
 * is durable and will be applied on the next restart.
 */
export async function applyHooks(
  hooks: ConfigChangeHooks,
  topics: readonly string[],
  brokerChanged: boolean,
  log: { error(msg: string, err?: unknown): void },
): Promise<void> {
  try {
    if (topics.length > 0) await hooks.onTopicConfigChange(topics)
    if (brokerChanged) await hooks.onBrokerConfigChange()
  } catch (e) {
    log.error('Applying a config change to the running broker failed', e)
  }
}

/** One resource of an AlterConfigs / IncrementalAlterConfigs request. */
export interface AlterResource {
  readonly resourceType: number
  readonly resourceName: string
  readonly configs: readonly { readonly name: string; readonly value: string | null; readonly op?: number }[]
}

export interface AlterOptions {
  /** 'replace': legacy AlterConfigs (the configs are the new complete set); 'ops': incremental. */
  readonly mode: 'replace' | 'ops'
  readonly validateOnly: boolean
  /** Handles resource types other than TOPIC and BROKER; undefined: not handled here. */
  readonly other?: (r: AlterResource) => Problem | undefined
  /** The caller, when an authorizer is on: each resource then needs ALTER_CONFIGS. */
  readonly caller?: Caller | null
  readonly log: { error(msg: string, err?: unknown): void; warn(msg: string): void }
}

const DELETE_OP = 1

/**
 * Kafka's config authorization: DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic
 * (TOPIC_AUTHORIZATION_FAILED), on the cluster for brokers and broker loggers
 * (CLUSTER_AUTHORIZATION_FAILED), on the group for group configs (GROUP_AUTHORIZATION_FAILED).
 */
export function configAuthorization(
  c: Caller,
  op: number,
  r: { resourceType: number; resourceName: string },
): Problem | null {
  if (r.resourceType === ResourceType.TOPIC)
    return allows(c, op, AclResourceType.TOPIC, r.resourceName)
      ? null
      : problem(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null)
  if (r.resourceType === ResourceType.GROUP)
    return allows(c, op, AclResourceType.GROUP, r.resourceName)
      ? null
      : problem(ErrorCode.GROUP_AUTHORIZATION_FAILED, null)
  return allowsCluster(c, op) ? null : problem(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
}

/**
 * Runs an alter request: Kafka's broker-side checks, then the store (topics and brokers in one call
 * each), then the hooks. Returns one outcome per resource, in request order.
 */
export async function alterResources(
  resources: readonly AlterResource[],
  services: ConfigServices & ConfigChangeHooks,
  opts: AlterOptions,
): Promise<Problem[]> {
  const out: Problem[] = resources.map(() => problem(ErrorCode.NONE, null))
  const duplicates = duplicateResources(resources)
  const topics: { index: number; name: string }[] = []
  const brokers: { index: number; brokerId: number | null }[] = []
  const change = (r: AlterResource) =>
    opts.mode === 'replace'
      ? { replace: r.configs.map((c) => ({ name: c.name, value: c.value })) }
      : { ops: r.configs.map((c) => ({ name: c.name, op: c.op ?? 0, value: c.value })) }

  resources.forEach((r, index) => {
    if (duplicates.has(index)) {
      out[index] = DUPLICATE_RESOURCE
      return
    }
    const listProblem = checkConfigList(
      r.configs,
      (i) => opts.mode === 'ops' && r.configs[i]!.op === DELETE_OP,
    )
    if (listProblem) {
      out[index] = listProblem
      return
    }
    const denied = opts.caller ? configAuthorization(opts.caller, AclOperation.ALTER_CONFIGS, r) : null
    if (denied) {
      out[index] = denied
      return
    }
    if (r.resourceType === ResourceType.BROKER) {
      const bad = checkBrokerName(r.resourceName, services.nodeId)
      if (bad) out[index] = bad
      else brokers.push({ index, brokerId: r.resourceName === '' ? null : services.nodeId })
    } else if (r.resourceType === ResourceType.TOPIC) {
      const bad = checkTopicName(r.resourceName)
      if (bad) out[index] = bad
      else topics.push({ index, name: r.resourceName })
    } else {
      out[index] = opts.other?.(r) ?? unknownResourceType(r.resourceType)
    }
  })

  const storeOpts = { validateOnly: opts.validateOnly }
  const [topicResults, brokerResults] = await Promise.all([
    topics.length === 0
      ? []
      : services.metadata.alterTopicConfigs(
          topics.map((t) => ({ name: t.name, ...change(resources[t.index]!) })),
          storeOpts,
        ),
    brokers.length === 0
      ? []
      : services.metadata.alterBrokerConfigs(
          brokers.map((b) => ({ brokerId: b.brokerId, ...change(resources[b.index]!) })),
          storeOpts,
        ),
  ])
  const changedTopics: string[] = []
  topicResults.forEach((res, i) => {
    out[topics[i]!.index] = problem(res.errorCode, res.errorMessage)
    if (res.errorCode === ErrorCode.NONE) changedTopics.push(topics[i]!.name)
  })
  let brokerChanged = false
  brokerResults.forEach((res, i) => {
    out[brokers[i]!.index] = problem(res.errorCode, res.errorMessage)
    if (res.errorCode === ErrorCode.NONE) brokerChanged = true
  })
  if (!opts.validateOnly) {
    for (const { index } of [...topics, ...brokers]) {
      if (out[index]!.errorCode !== ErrorCode.NONE) continue
      const r = resources[index]!
      for (const c of r.configs) {
        const warning =
          c.value !== null && !(opts.mode === 'ops' && c.op === DELETE_OP)
            ? legacyConfigWarning(c.name)
            : null
        if (warning !== null)
          opts.log.warn(
            `${r.resourceType === ResourceType.TOPIC ? 'Topic' : 'Broker'} ${r.resourceName}: ${warning}`,
          )
      }
    }
    await applyHooks(services, changedTopics, brokerChanged, opts.log)
  }
  return out
}

/** The AlterConfigs/IncrementalAlterConfigs response body: one entry per requested resource. */
export function resourceResponses(
  resources: readonly { readonly resourceType: number; readonly resourceName: string }[],
  outcome: (i: number) => Problem,
) {
  return {
    throttleTimeMs: 0,
    responses: resources.map((r, i) => {
      const o = outcome(i)
      return {
        errorCode: o.errorCode,
        errorMessage: o.errorMessage,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
      }
    }),
  }
}
