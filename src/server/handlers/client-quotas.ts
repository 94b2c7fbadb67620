// AlterClientQuotas: v0-1 and DescribeClientQuotas: v0-1 (KIP-546). Quotas live in the metadata
// store (metadata/client-quota-store.ts: ZooKeeper /config/users|clients/..., or
// samsa-client-quotas.json) and the broker reloads them into its quota manager when they change.
// Entities are `user` and/or `client-id` (a null name is the default entity); keys
// producer_byte_rate, consumer_byte_rate, request_percentage. Kafka's answers:
// - Alter: per entry; an unknown or repeated entity type, an unknown key or a value that is not
//   positive is INVALID_REQUEST for that entry and nothing of it is written; validateOnly checks
//   without writing.
// - Describe: components match a type exactly (0, by name), its default (1) or any name (2);
//   `strict` keeps only entities with no other part. An unknown entity type or match type is
//   INVALID_REQUEST for the whole request.
// Built per broker over its store (the handlers close over it). Not implemented: the `ip` entity
// (connection_creation_rate) and controller_mutation_rate.

import type { ClientQuotaStore, StoredQuotaEntity } from '../../metadata/client-quota-store.ts'
import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type AlterClientQuotasRequest,
  type AlterClientQuotasResponse,
  type AlterClientQuotasResponseEntryData,
  alterClientQuotasRequestCodec,
  alterClientQuotasResponseCodec,
} from '../../protocol/generated/messages/alter-client-quotas.ts'
import {
  type DescribeClientQuotasRequest,
  type DescribeClientQuotasResponse,
  type DescribeClientQuotasResponseEntryData,
  describeClientQuotasRequestCodec,
  describeClientQuotasResponseCodec,
} from '../../protocol/generated/messages/describe-client-quotas.ts'
import { CLIENT_ID, checkQuotaValue, USER } from '../../security/quota-entity.ts'
import type { Handler } from '../handler.ts'

type WireEntity = { entityType: string; entityName: string | null }[]

function toEntity(parts: WireEntity): StoredQuotaEntity | string {
  let user: string | null | undefined
  let clientId: string | null | undefined
  for (const p of parts) {
    if (p.entityType === USER) {
      if (user !== undefined) return `Duplicate ${USER} entity type`
      user = p.entityName
    } else if (p.entityType === CLIENT_ID) {
      if (clientId !== undefined) return `Duplicate ${CLIENT_ID} entity type`
      clientId = p.entityName
    } else return `Unsupported quota entity type ${p.entityType}`
  }
  if (user === undefined && clientId === undefined) return 'Invalid empty client quota entity'
  return { user, clientId }
}

function toWire(e: StoredQuotaEntity): WireEntity {
  const out: WireEntity = []
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user })
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId })
  return out
}

export function alterClientQuotasHandler(
  store: ClientQuotaStore,
): Handler<AlterClientQuotasRequest, AlterClientQuotasResponse, unknown> {
  return {
    apiKey: alterClientQuotasRequestCodec.apiKey,
    minVersion: 0,
    maxVersion: 1,
    request: alterClientQuotasRequestCodec,
    response: alterClientQuotasResponseCodec,
    async handle(_ctx, req) {
      const entries: AlterClientQuotasResponseEntryData[] = []
      for (const e of req.entries) {
        const result = (errorCode: number, errorMessage: string | null) =>
          entries.push({ errorCode, errorMessage, entity: e.entity })
        const entity = toEntity(e.entity)
        if (typeof entity === 'string') {
          result(ErrorCode.INVALID_REQUEST, entity)
          continue
        }
        const set = new Map<string, number>()
        const remove: string[] = []
        let problem: string | null = null
        for (const op of e.ops) {
          problem = op.remove ? checkQuotaValue(op.key, 1) : checkQuotaValue(op.key, op.value)
          if (problem !== null) break
          if (op.remove) remove.push(op.key)
          else set.set(op.key, op.value)
        }
        if (problem !== null) {
          result(ErrorCode.INVALID_REQUEST, problem)
          continue
        }
        if (!req.validateOnly) {
          try {
            await store.alter(entity, set, remove)
          } catch (err) {
            result(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message)
            continue
          }
        }
        result(ErrorCode.NONE, null)
      }
      return { throttleTimeMs: 0, entries }
    },
    errorResponse(req, _version, errorCode) {
      return {
        throttleTimeMs: 0,
        entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })),
      }
    },
  }
}

const MATCH_EXACT = 0
const MATCH_DEFAULT = 1
const MATCH_ANY = 2

export function describeClientQuotasHandler(
  store: ClientQuotaStore,
): Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse, unknown> {
  return {
    apiKey: describeClientQuotasRequestCodec.apiKey,
    minVersion: 0,
    maxVersion: 1,
    request: describeClientQuotasRequestCodec,
    response: describeClientQuotasResponseCodec,
    async handle(_ctx, req) {
      const fail = (message: string): DescribeClientQuotasResponse => ({
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: message,
        entries: null,
      })
      const seen = new Set<string>()
      for (const c of req.components) {
        if (c.entityType !== USER && c.entityType !== CLIENT_ID)
          return fail(`Custom entity type '${c.entityType}' not supported`)
        if (seen.has(c.entityType)) return fail(`Duplicate filter component entity type ${c.entityType}`)
        seen.add(c.entityType)
        if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY)
          return fail(`Unexpected match type ${c.matchType}`)
        if (c.matchType === MATCH_EXACT && c.match === null)
          return fail('Exact match requires a non-null match string')
      }
      const entries: DescribeClientQuotasResponseEntryData[] = []
      for (const { entity, quotas } of await store.list()) {
        const parts: Record<string, string | null | undefined> = {
          [USER]: entity.user,
          [CLIENT_ID]: entity.clientId,
        }
        const matches = req.components.every((c) => {
          const name = parts[c.entityType]
          if (name === undefined) return false
          if (c.matchType === MATCH_EXACT) return name === c.match
          if (c.matchType === MATCH_DEFAULT) return name === null
          return true
        })
        if (!matches) continue
        if (req.strict && toWire(entity).length !== req.components.length) continue
        entries.push({
          entity: toWire(entity),
          values: [...quotas].map(([key, value]) => ({ key, value })),
        })
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries }
    },
  }
}
