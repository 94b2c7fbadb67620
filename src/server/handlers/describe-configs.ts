// DescribeConfigs: v0-4 (flexible from v4). Every config of a resource (or the requested keys; unknown
// keys are left out) with its effective value, source (v1+; v0 has isDefault instead), read-only flag,
// sensitive flag (sensitive values are null), synonyms when asked (v1+: where the value comes from
// first, then every lower-precedence place that sets it), documentation when asked and the config
// type (v3+). The values, sources and synonyms come from config/ (topic-config.ts, broker-describe.ts).
//
// Resources, as Kafka's broker answers them:
// - TOPIC: an illegal name answers INVALID_TOPIC_EXCEPTION, an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
// - BROKER: this node's id describes every broker config; "" describes the cluster-wide dynamic
//   defaults only; another id INVALID_REQUEST, a non-numeric one INVALID_REQUEST.
// - BROKER_LOGGER: this node's id lists the loggers the broker supplies (none without them) with
//   source DYNAMIC_BROKER_LOGGER_CONFIG; "" or another id INVALID_REQUEST.
// - GROUP and CLIENT_METRICS (KIP-848 group configs, KIP-714): not implemented, INVALID_REQUEST.
// - A type Kafka does not know fails the whole request with INVALID_REQUEST, as Kafka does.

import { describeBrokerConfigs } from '../../config/broker-describe.ts'
import type { ConfigEntry } from '../../config/config-entry.ts'
import { ConfigSource } from '../../config/config-entry.ts'
import { describeTopicConfigs } from '../../config/topic-config.ts'
import { validateTopicName } from '../../metadata/topic-name.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeConfigsRequest,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult,
  describeConfigsRequestCodec,
  describeConfigsResponseCodec,
} from '../../protocol/generated/messages/describe-configs.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import {
  brokerLayers,
  type ConfigServices,
  configAuthorization,
  currentBrokerConfig,
  type Problem,
  problem,
  RESOURCE_TYPE_NAMES,
  ResourceType,
} from './alter-configs-shared.ts'

export type DescribeConfigsServices = ConfigServices

type Resource = DescribeConfigsRequestDescribeConfigsResource
type Result = DescribeConfigsResponseDescribeConfigsResult
type Entry = DescribeConfigsResponseDescribeConfigsResourceResult

interface Wanted {
  readonly version: number
  readonly synonyms: boolean
  readonly documentation: boolean
}

function toWire(e: ConfigEntry, w: Wanted): Entry {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    isDefault: w.version === 0 && e.source === ConfigSource.DEFAULT_CONFIG,
    configSource: e.source,
    isSensitive: e.isSensitive,
    synonyms: w.synonyms ? e.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })) : [],
    configType: e.configType,
    documentation: w.documentation ? e.documentation : null,
  }
}

const failed = (r: Resource, p: Problem): Result => ({
  errorCode: p.errorCode,
  errorMessage: p.errorMessage,
  resourceType: r.resourceType,
  resourceName: r.resourceName,
  configs: [],
})

const ok = (r: Resource, configs: Entry[]): Result => ({
  errorCode: ErrorCode.NONE,
  errorMessage: null,
  resourceType: r.resourceType,
  resourceName: r.resourceName,
  configs,
})

/** Kafka's resourceNameToBrokerId check, then "is it us" (`mismatch`: Kafka's message for that). */
function brokerIdProblem(name: string, nodeId: number, mismatch: string): Problem | null {
  if (!/^[+-]?\d+$/.test(name))
    return problem(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`)
  if (Number(name) !== nodeId) return problem(ErrorCode.INVALID_REQUEST, mismatch)
  return null
}

function describeOne(r: Resource, services: DescribeConfigsServices, w: Wanted): Result {
  const image = services.metadata.image()
  const keys = r.configurationKeys
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const invalid = validateTopicName(r.resourceName)
      if (invalid !== null) return failed(r, problem(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid))
      const topic = image.topics.get(r.resourceName)
      if (!topic) return failed(r, problem(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null))
      const entries = describeTopicConfigs(topic.configs, brokerLayers(services, image), { keys })
      return ok(
        r,
        entries.map((e) => toWire(e, w)),
      )
    }
    case ResourceType.BROKER: {
      if (r.resourceName !== '') {
        const bad = brokerIdProblem(
          r.resourceName,
          services.nodeId,
          `Unexpected broker id, expected ${services.nodeId} or empty string, but received ${r.resourceName}`,
        )
        if (bad) return failed(r, bad)
      }
      const scope = r.resourceName === '' ? 'cluster-default' : 'broker'
      const entries = describeBrokerConfigs(currentBrokerConfig(services, image), { scope, keys })
      return ok(
        r,
        entries.map((e) => toWire(e, w)),
      )
    }
    case ResourceType.BROKER_LOGGER: {
      if (r.resourceName === '')
        return failed(r, problem(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty'))
      const bad = brokerIdProblem(
        r.resourceName,
        services.nodeId,
        `Unexpected broker id, expected ${services.nodeId} but received ${r.resourceName}`,
      )
      if (bad) return failed(r, bad)
      const levels = services.loggers?.levels() ?? new Map<string, string>()
      const entries: Entry[] = []
      for (const [name, level] of levels) {
        if (keys && keys.length > 0 && !keys.includes(name)) continue
        entries.push({
          name,
          value: level,
          readOnly: false,
          isDefault: false,
          configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG,
          isSensitive: false,
          synonyms: [],
          configType: 0,
          documentation: null,
        })
      }
      return ok(r, entries)
    }
    default:
      return failed(
        r,
        problem(
          ErrorCode.INVALID_REQUEST,
          `Unsupported resource type: ${RESOURCE_TYPE_NAMES.get(r.resourceType)}`,
        ),
      )
  }
}

export const describeConfigsHandler: Handler<
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeConfigsServices
> = {
  apiKey: 32,
  minVersion: 0,
  maxVersion: 4,
  request: describeConfigsRequestCodec,
  response: describeConfigsResponseCodec,

  handle(ctx, req, services) {
    const version = ctx.apiVersion
    const unknown = req.resources.find((r) => !RESOURCE_TYPE_NAMES.has(r.resourceType))
    if (unknown) {
      // Kafka checks resource types before describing anything and fails the request as a whole.
      const p = problem(
        ErrorCode.INVALID_REQUEST,
        `Unexpected resource type UNKNOWN for resource ${unknown.resourceName}`,
      )
      return { throttleTimeMs: 0, results: req.resources.map((r) => failed(r, p)) }
    }
    const w: Wanted = {
      version,
      synonyms: version >= 1 && req.includeSynonyms,
      documentation: version >= 3 && req.includeDocumentation,
    }
    // With an authorizer: DESCRIBE_CONFIGS on each resource (configAuthorization's error codes).
    const caller = callerOf(services.authorizer, ctx.connection)
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => {
        const denied = caller === null ? null : configAuthorization(caller, AclOperation.DESCRIBE_CONFIGS, r)
        return denied === null ? describeOne(r, services, w) : failed(r, denied)
      }),
    }
  },

  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => failed(r, problem(errorCode, null))) }
  },
}
