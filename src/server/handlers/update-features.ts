// UpdateFeatures: v0-1 (flexible from v0). Admin → controller (kafka-features.sh upgrade/downgrade,
// the admin client's updateFeatures). Served as a ZooKeeper-mode Kafka 3.x controller serves it:
// ALTER on the cluster is required (CLUSTER_AUTHORIZATION_FAILED), a broker that is not the active
// controller answers NOT_CONTROLLER, and each update is checked against the broker's supported
// features and the finalized ones of /feature (feature-state.ts); the valid ones are written back
// to /feature in one step, each update answered on its own. A ZooKeeper-mode broker supports no
// feature, so in practice every upgrade fails with "not supported" and only the deletion of a
// feature someone finalized by hand can succeed: that is Kafka's behaviour, kept on purpose.
// Not served: v2 (KIP-1022, KRaft-era).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type UpdateFeaturesRequest,
  type UpdateFeaturesRequestFeatureUpdateKey,
  type UpdateFeaturesResponse,
  updateFeaturesRequestCodec,
  updateFeaturesResponseCodec,
} from '../../protocol/generated/messages/update-features.ts'
import { AclOperation } from '../../security/acl-types.ts'
import { type Authorizing, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'
import { type FeatureStore, featureStoreOf, SUPPORTED_FEATURES } from './feature-state.ts'

export interface UpdateFeaturesServices extends Authorizing {
  readonly features?: FeatureStore
  /** True on the active controller (always in standalone mode, the default when not wired). */
  isActiveController?(): boolean
}

const UpgradeType = { UNKNOWN: 0, UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const

interface Failure {
  readonly errorCode: number
  readonly message: string
}

/** v0's allowDowngrade, as the admin client maps it: a safe downgrade. */
function upgradeTypeOf(u: UpdateFeaturesRequestFeatureUpdateKey, version: number): number {
  if (version >= 1) return u.upgradeType
  return u.allowDowngrade ? UpgradeType.SAFE_DOWNGRADE : UpgradeType.UPGRADE
}

function invalid(message: string): Failure {
  return { errorCode: ErrorCode.INVALID_REQUEST, message }
}

/**
 * One update against the finalized level `existing`: the new level (null: delete the feature)
 * or why it cannot be applied; the checks and their order are the ZooKeeper controller's.
 */
export function checkFeatureUpdate(
  feature: string,
  level: number,
  upgradeType: number,
  existing: number | undefined,
): { level: number | null } | Failure {
  if (feature === '') return invalid('Feature name can not be empty.')
  if (upgradeType < UpgradeType.UPGRADE || upgradeType > UpgradeType.UNSAFE_DOWNGRADE)
    return invalid('Received unknown upgrade type.')
  if (level < 1 && upgradeType !== UpgradeType.UPGRADE) {
    if (existing === undefined) return invalid('Can not delete non-existing finalized feature.')
    return { level: null }
  }
  if (level < 1)
    return invalid(
      `Can not provide versionLevel: ${level} less than 1 without setting the SAFE downgradeType in the request.`,
    )
  if (existing !== undefined) {
    if (level === existing)
      return invalid(
        `Can not ${upgradeType === UpgradeType.SAFE_DOWNGRADE ? 'downgrade' : 'upgrade'} a finalized feature from existing versionLevel:${existing} to the same value.`,
      )
    if (level < existing && upgradeType !== UpgradeType.SAFE_DOWNGRADE)
      return invalid(
        `Can not downgrade finalized feature from existing versionLevel:${existing} to provided versionLevel:${level} without setting the downgrade type to SAFE in the request.`,
      )
    if (upgradeType !== UpgradeType.UPGRADE && level > existing)
      return invalid(
        `When the downgradeType is set to SAFE in the request, the provided versionLevel:${level} can not be greater than existing versionLevel:${existing}.`,
      )
  }
  const supported = SUPPORTED_FEATURES.get(feature)
  if (supported === undefined)
    return invalid('Could not apply finalized feature update because the provided feature is not supported.')
  if (level < supported.min || level > supported.max)
    return invalid(
      `Could not apply finalized feature update because the provided versionLevel:${level} is lower than the supported minVersion:${supported.min} or higher than the supported maxVersion:${supported.max}.`,
    )
  return { level }
}

function topLevel(errorCode: number, message: string | null): UpdateFeaturesResponse {
  return { ...updateFeaturesResponseCodec.defaults(0), errorCode, errorMessage: message, results: [] }
}

export const updateFeaturesHandler: Handler<
  UpdateFeaturesRequest,
  UpdateFeaturesResponse,
  UpdateFeaturesServices
> = {
  apiKey: 57,
  minVersion: 0,
  maxVersion: 1,
  request: updateFeaturesRequestCodec,
  response: updateFeaturesResponseCodec,
  handle: async (ctx, req, services) => {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller !== null && !allowsCluster(caller, AclOperation.ALTER))
      return topLevel(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')
    if (services.isActiveController !== undefined && !services.isActiveController())
      return topLevel(ErrorCode.NOT_CONTROLLER, 'This is not the correct controller for this cluster.')
    const store = featureStoreOf(services)
    const before = store.current()
    const target = new Map(before.finalized)
    const results = new Map<string, Failure | null>()
    for (const u of req.featureUpdates) {
      const r = checkFeatureUpdate(
        u.feature,
        u.maxVersionLevel,
        upgradeTypeOf(u, ctx.apiVersion),
        before.finalized.get(u.feature),
      )
      if ('errorCode' in r) {
        results.set(u.feature, r)
        continue
      }
      results.set(u.feature, null)
      if (r.level === null) target.delete(u.feature)
      else target.set(u.feature, r.level)
    }
    const changed =
      target.size !== before.finalized.size || [...target].some(([k, v]) => before.finalized.get(k) !== v)
    if (changed && !req.validateOnly) {
      try {
        await store.replace(target, before.epoch)
      } catch (e) {
        ctx.log.warn(`updating the finalized features failed: ${(e as Error).message}`)
        const failed: Failure = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: (e as Error).message }
        for (const [k, v] of results) if (v === null) results.set(k, failed)
      }
    }
    return {
      ...updateFeaturesResponseCodec.defaults(ctx.apiVersion),
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      results: [...results].map(([feature, f]) => ({
        feature,
        errorCode: f === null ? ErrorCode.NONE : f.errorCode,
        errorMessage: f === null ? null : f.message,
      })),
    }
  },
  errorResponse: (_req, _version, errorCode) => topLevel(errorCode, null),
}
