// IncrementalAlterConfigs: v0-1 (flexible from v1). Per-key operations on a resource's overrides:
// SET (0), DELETE (1), APPEND (2) and SUBTRACT (3), the last two for LIST configs only (APPEND adds
// the missing items to the current value or the default, SUBTRACT removes items); an unknown
// operation answers INVALID_REQUEST. Resources and checks as AlterConfigs (alter-configs.ts), except
// that DELETE may carry a null value, and BROKER_LOGGER (KIP-412) is served when the broker supplies
// its loggers: SET a level (FATAL, ERROR, WARN, INFO, DEBUG, TRACE) or DELETE it (not for root);
// APPEND/SUBTRACT answer INVALID_REQUEST, unknown loggers and levels INVALID_CONFIG, as Kafka. Logger
// levels are not persisted (Kafka does not persist them either). validateOnly runs every check and
// changes nothing; other changes are durable before the answer and applied to the running broker
// through the ConfigChangeHooks.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
  incrementalAlterConfigsRequestCodec,
  incrementalAlterConfigsResponseCodec,
} from '../../protocol/generated/messages/incremental-alter-configs.ts'
import { callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import {
  type AlterResource,
  alterResources,
  type BrokerLoggers,
  type ConfigChangeHooks,
  type ConfigServices,
  type Problem,
  problem,
  ResourceType,
  resourceResponses,
} from './alter-configs-shared.ts'

export type IncrementalAlterConfigsServices = ConfigServices & ConfigChangeHooks

const VALID_LOG_LEVELS = ['DEBUG', 'ERROR', 'FATAL', 'INFO', 'TRACE', 'WARN']
const ROOT_LOGGER = 'root'
const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const

/** Kafka's RuntimeLoggerManager checks, then the changes unless validateOnly. */
function alterLoggers(
  r: AlterResource,
  nodeId: number,
  loggers: BrokerLoggers | undefined,
  validateOnly: boolean,
): Problem {
  if (!/^[+-]?\d+$/.test(r.resourceName))
    return problem(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${r.resourceName}`)
  if (Number(r.resourceName) !== nodeId)
    return problem(
      ErrorCode.INVALID_REQUEST,
      `Unexpected node id. Expected ${nodeId}, but received ${r.resourceName}`,
    )
  const levels = loggers?.levels() ?? new Map<string, string>()
  const missing = (name: string) =>
    levels.has(name) ? null : problem(ErrorCode.INVALID_CONFIG, `Logger ${name} does not exist!`)
  for (const c of r.configs) {
    switch (c.op) {
      case Op.SET: {
        const bad = missing(c.name)
        if (bad) return bad
        if (!VALID_LOG_LEVELS.includes(c.value ?? ''))
          return problem(
            ErrorCode.INVALID_CONFIG,
            `Cannot set the log level of ${c.name} to ${c.value} as it is not a supported log level. Valid log levels are ${VALID_LOG_LEVELS.join(', ')}`,
          )
        break
      }
      case Op.DELETE: {
        const bad = missing(c.name)
        if (bad) return bad
        if (c.name === ROOT_LOGGER)
          return problem(
            ErrorCode.INVALID_REQUEST,
            `Removing the log level of the ${ROOT_LOGGER} logger is not allowed`,
          )
        break
      }
      case Op.APPEND:
      case Op.SUBTRACT:
        return problem(
          ErrorCode.INVALID_REQUEST,
          `${c.op === Op.APPEND ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`,
        )
      default:
        return problem(
          ErrorCode.INVALID_REQUEST,
          `Unknown operation type ${c.op} is not allowed for the BROKER_LOGGER resource`,
        )
    }
  }
  if (!validateOnly && loggers)
    for (const c of r.configs) loggers.setLevel(c.name, c.op === Op.SET ? c.value : null)
  return problem(ErrorCode.NONE, null)
}

export const incrementalAlterConfigsHandler: Handler<
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsServices
> = {
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  request: incrementalAlterConfigsRequestCodec,
  response: incrementalAlterConfigsResponseCodec,

  async handle(ctx, req, services) {
    const resources: AlterResource[] = req.resources.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation })),
    }))
    const outcomes = await alterResources(resources, services, {
      mode: 'ops',
      validateOnly: req.validateOnly,
      log: ctx.log,
      caller: callerOf(services.authorizer, ctx.connection),
      other: (r) =>
        r.resourceType === ResourceType.BROKER_LOGGER
          ? alterLoggers(r, services.nodeId, services.loggers, req.validateOnly)
          : undefined,
    })
    return resourceResponses(req.resources, (i) => outcomes[i]!)
  },

  errorResponse(req, _version, errorCode) {
    return resourceResponses(req.resources, () => problem(errorCode, null))
  },
}
