// CreateAcls: v0-3 (flexible from v2; v0 creates LITERAL patterns only). Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every creation). A creation Kafka would refuse (unknown type,
// operation or permission, ANY/MATCH pattern, a cluster not named kafka-cluster, an unparsable
// principal) gets INVALID_REQUEST with the reason; the valid ones are stored. Without an
// authorizer: SECURITY_DISABLED, as Kafka answers.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type CreateAclsRequest,
  type CreateAclsResponse,
  createAclsRequestCodec,
  createAclsResponseCodec,
} from '../../protocol/generated/messages/create-acls.ts'
import {
  type AclBinding,
  AclOperation,
  entryString,
  invalidBinding,
  patternString,
} from '../../security/acl-types.ts'
import { type Authorizing, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export type CreateAclsServices = Authorizing

const all = (req: CreateAclsRequest, errorCode: number, errorMessage: string | null): CreateAclsResponse => ({
  throttleTimeMs: 0,
  results: req.creations.map(() => ({ errorCode, errorMessage })),
})

export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse, CreateAclsServices> = {
  apiKey: 30,
  minVersion: 0,
  maxVersion: 3,
  request: createAclsRequestCodec,
  response: createAclsResponseCodec,
  handle: async (ctx, req, services) => {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller === null) return all(req, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.')
    if (!allowsCluster(caller, AclOperation.ALTER))
      return all(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const bindings: AclBinding[] = req.creations.map((c) => ({
      pattern: { resourceType: c.resourceType, name: c.resourceName, patternType: c.resourcePatternType },
      entry: {
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      },
    }))
    const problems = bindings.map(invalidBinding)
    try {
      await caller.az.create(bindings.filter((_, i) => problems[i] === null))
    } catch (e) {
      ctx.log.error('storing ACLs failed', e)
      return all(req, ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message)
    }
    for (const [i, b] of bindings.entries())
      if (problems[i] === null)
        ctx.log.info(`${caller.principal} added ACL ${entryString(b.entry)} on ${patternString(b.pattern)}`)
    return {
      throttleTimeMs: 0,
      results: problems.map((p) =>
        p === null
          ? { errorCode: ErrorCode.NONE, errorMessage: null }
          : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: p },
      ),
    }
  },
  errorResponse: (req, _version, errorCode) => all(req, errorCode, null),
}
