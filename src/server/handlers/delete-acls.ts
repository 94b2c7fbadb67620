// DeleteAcls: v0-3 (flexible from v2; v0 filters match LITERAL patterns only). Needs ALTER on the
// cluster (CLUSTER_AUTHORIZATION_FAILED for every filter). Each filter (ANY / MATCH semantics as in
// DescribeAcls) removes what it matches and lists it; an invalid filter gets INVALID_REQUEST.
// Without an authorizer: SECURITY_DISABLED, as Kafka answers.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DeleteAclsRequest,
  type DeleteAclsResponse,
  deleteAclsRequestCodec,
  deleteAclsResponseCodec,
} from '../../protocol/generated/messages/delete-acls.ts'
import {
  type AclFilter,
  AclOperation,
  entryString,
  invalidFilter,
  patternString,
} from '../../security/acl-types.ts'
import { type Authorizing, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export type DeleteAclsServices = Authorizing

const all = (req: DeleteAclsRequest, errorCode: number, errorMessage: string | null): DeleteAclsResponse => ({
  throttleTimeMs: 0,
  filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
})

export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse, DeleteAclsServices> = {
  apiKey: 31,
  minVersion: 0,
  maxVersion: 3,
  request: deleteAclsRequestCodec,
  response: deleteAclsResponseCodec,
  handle: async (ctx, req, services) => {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller === null) return all(req, ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.')
    if (!allowsCluster(caller, AclOperation.ALTER))
      return all(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const filters: AclFilter[] = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      name: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }))
    const problems = filters.map(invalidFilter)
    let removed: ReturnType<typeof caller.az.delete> extends Promise<infer R> ? R : never
    try {
      removed = await caller.az.delete(filters.filter((_, i) => problems[i] === null))
    } catch (e) {
      ctx.log.error('removing ACLs failed', e)
      return all(req, ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message)
    }
    let next = 0
    return {
      throttleTimeMs: 0,
      filterResults: problems.map((p) => {
        if (p !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: p, matchingAcls: [] }
        const matched = removed[next++] ?? []
        for (const b of matched)
          ctx.log.info(
            `${caller.principal} removed ACL ${entryString(b.entry)} on ${patternString(b.pattern)}`,
          )
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: matched.map((b) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: b.pattern.resourceType,
            resourceName: b.pattern.name,
            patternType: b.pattern.patternType,
            ...b.entry,
          })),
        }
      }),
    }
  },
  errorResponse: (req, _version, errorCode) => all(req, errorCode, null),
}
