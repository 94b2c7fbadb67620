// DescribeAcls: v0-3 (flexible from v2; v0 knows only LITERAL patterns, so its filter is LITERAL).
// Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED). The filter's ANY values and null
// strings match everything; MATCH returns every pattern that applies to the name (its literal, the
// `*` wildcard and covering prefixes). Without an authorizer: SECURITY_DISABLED, as Kafka answers.

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type DescribeAclsRequest,
  type DescribeAclsResponse,
  type DescribeAclsResponseDescribeAclsResource,
  describeAclsRequestCodec,
  describeAclsResponseCodec,
} from '../../protocol/generated/messages/describe-acls.ts'
import { type AclFilter, AclOperation, invalidFilter, patternKey } from '../../security/acl-types.ts'
import { type Authorizing, allowsCluster, callerOf } from '../../security/authorizer-check.ts'
import type { Handler } from '../handler.ts'

export type DescribeAclsServices = Authorizing

const answer = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  resources: [],
})

export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse, DescribeAclsServices> = {
  apiKey: 29,
  minVersion: 0,
  maxVersion: 3,
  request: describeAclsRequestCodec,
  response: describeAclsResponseCodec,
  handle: (ctx, req, services) => {
    const caller = callerOf(services.authorizer, ctx.connection)
    if (caller === null)
      return answer(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker')
    if (!allowsCluster(caller, AclOperation.DESCRIBE))
      return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, null)
    const filter: AclFilter = {
      resourceType: req.resourceTypeFilter,
      name: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    }
    const invalid = invalidFilter(filter)
    if (invalid !== null) return answer(ErrorCode.INVALID_REQUEST, invalid)
    const resources = new Map<string, DescribeAclsResponseDescribeAclsResource>()
    for (const b of caller.az.describe(filter)) {
      const k = patternKey(b.pattern)
      let r = resources.get(k)
      if (r === undefined) {
        r = {
          resourceType: b.pattern.resourceType,
          resourceName: b.pattern.name,
          patternType: b.pattern.patternType,
          acls: [],
        }
        resources.set(k, r)
      }
      r.acls.push({ ...b.entry })
    }
    return { ...answer(ErrorCode.NONE, null), resources: [...resources.values()] }
  },
  errorResponse: (_req, _version, errorCode) => answer(errorCode, null),
}
