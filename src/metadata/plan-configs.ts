// Pure planning of AlterConfigs / IncrementalAlterConfigs on topics and on brokers: apply the
// changes to the stored overrides, validate the result, and return the new override sets. Topic
// problems are INVALID_CONFIG (INVALID_REQUEST for malformed requests); broker problems are
// INVALID_REQUEST, as Kafka answers them.

import { BROKER_CONFIG_DEFS } from '../config/broker-config.ts'
import { validateBrokerConfigUpdate } from '../config/broker-describe.ts'
import { applyConfigOps } from '../config/config-ops.ts'
import { TOPIC_CONFIG_DEFS, validateTopicConfigs } from '../config/topic-config.ts'
import { ErrorCode } from '../protocol/generated/error-codes.ts'
import type { MetadataImage } from './image.ts'
import { brokerLayers, type PlanContext } from './plan-topics.ts'
import type {
  AlterBrokerConfigsRequest,
  AlterConfigsChange,
  AlterTopicConfigsRequest,
  ResourceResult,
} from './store.ts'

const ok = (resourceName: string): ResourceResult => ({
  resourceName,
  errorCode: ErrorCode.NONE,
  errorMessage: null,
})
const fail = (resourceName: string, errorCode: number, errorMessage: string | null): ResourceResult => ({
  resourceName,
  errorCode,
  errorMessage,
})

type Applied =
  | { ok: true; configs: Map<string, string>; touched: string[] }
  | { ok: false; code: number; message: string }

function apply(
  current: ReadonlyMap<string, string>,
  change: AlterConfigsChange,
  kind: 'topic' | 'broker',
): Applied {
  if ((change.ops === undefined) === (change.replace === undefined))
    return {
      ok: false,
      code: ErrorCode.INVALID_REQUEST,
      message: 'Exactly one of ops and replace must be given.',
    }
  if (change.replace !== undefined) {
    const names = change.replace.map((c) => c.name)
    if (new Set(names).size !== names.length)
      return { ok: false, code: ErrorCode.INVALID_REQUEST, message: 'Error due to duplicate config keys' }
    const nulls = change.replace.filter((c) => c.value === null).map((c) => c.name)
    if (nulls.length > 0)
      return kind === 'topic'
        ? {
            ok: false,
            code: ErrorCode.INVALID_CONFIG,
            message: `Null value not supported for topic configs: ${nulls.join(',')}`,
          }
        : {
            ok: false,
            code: ErrorCode.INVALID_REQUEST,
            message: `Null value not supported for : ${nulls.join(',')}`,
          }
    return { ok: true, configs: new Map(change.replace.map((c) => [c.name, c.value!])), touched: names }
  }
  const defs = kind === 'topic' ? TOPIC_CONFIG_DEFS : BROKER_CONFIG_DEFS
  const r = applyConfigOps(current, change.ops!, (n) => defs.get(n))
  if (!r.ok) return { ok: false, code: r.errorCode, message: r.message }
  return {
    ok: true,
    configs: r.configs,
    touched: change.ops!.filter((o) => r.configs.has(o.name)).map((o) => o.name),
  }
}

export interface AlterTopicConfigsPlan {
  readonly results: ResourceResult[]
  /** Topic name → its complete new set of overrides. */
  readonly updated: Map<string, Map<string, string>>
}

export function planAlterTopicConfigs(
  ctx: PlanContext,
  changes: readonly AlterTopicConfigsRequest[],
): AlterTopicConfigsPlan {
  const counts = new Map<string, number>()
  for (const c of changes) counts.set(c.name, (counts.get(c.name) ?? 0) + 1)
  const updated = new Map<string, Map<string, string>>()
  const results = changes.map((change) => {
    if (counts.get(change.name)! > 1)
      return fail(change.name, ErrorCode.INVALID_REQUEST, 'Duplicate resource.')
    const topic = ctx.image.topics.get(change.name)
    if (!topic)
      return fail(
        change.name,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `The topic '${change.name}' does not exist.`,
      )
    const applied = apply(topic.configs, change, 'topic')
    if (!applied.ok) return fail(change.name, applied.code, applied.message)
    const problem = validateTopicConfigs(applied.configs, brokerLayers(ctx))
    if (problem) return fail(change.name, problem.errorCode, problem.message)
    updated.set(change.name, applied.configs)
    return ok(change.name)
  })
  return { results, updated }
}

export interface AlterBrokerConfigsPlan {
  readonly results: ResourceResult[]
  /** null for the cluster default, else the broker id → the complete new dynamic layer. */
  readonly updated: Map<number | null, Map<string, string>>
}

export function planAlterBrokerConfigs(
  image: MetadataImage,
  brokerIds: readonly number[],
  changes: readonly AlterBrokerConfigsRequest[],
): AlterBrokerConfigsPlan {
  const key = (c: AlterBrokerConfigsRequest) => (c.brokerId === null ? '' : String(c.brokerId))
  const counts = new Map<string, number>()
  for (const c of changes) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1)
  const updated = new Map<number | null, Map<string, string>>()
  const results = changes.map((change) => {
    const name = key(change)
    if (counts.get(name)! > 1) return fail(name, ErrorCode.INVALID_REQUEST, 'Duplicate resource.')
    if (change.brokerId !== null && !brokerIds.includes(change.brokerId))
      return fail(
        name,
        ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${brokerIds.join(' or ')}, but received ${change.brokerId}`,
      )
    const current =
      change.brokerId === null
        ? image.brokerConfigs.clusterDefault
        : (image.brokerConfigs.perBroker.get(change.brokerId) ?? new Map<string, string>())
    const applied = apply(current, change, 'broker')
    if (!applied.ok) return fail(name, applied.code, applied.message)
    const touched = new Map(applied.touched.map((n) => [n, applied.configs.get(n)!]))
    const problem = validateBrokerConfigUpdate(touched, change.brokerId !== null)
    if (problem) return fail(name, problem.errorCode, problem.message)
    updated.set(change.brokerId, applied.configs)
    return ok(name)
  })
  return { results, updated }
}
