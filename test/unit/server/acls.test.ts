import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  createAclsRequestCodec,
  createAclsResponseCodec,
} from '../../../src/protocol/generated/messages/create-acls.ts'
import {
  deleteAclsRequestCodec,
  deleteAclsResponseCodec,
} from '../../../src/protocol/generated/messages/delete-acls.ts'
import {
  describeAclsRequestCodec,
  describeAclsResponseCodec,
} from '../../../src/protocol/generated/messages/describe-acls.ts'
import {
  createAclsHandler,
  deleteAclsHandler,
  describeAclsHandler,
} from '../../../src/server/handlers/acls.ts'
import { ctx, request, wire } from './admin-fixtures.ts'

const acl = {
  resourceType: 2,
  resourceName: 'orders',
  resourcePatternType: 3,
  principal: 'User:alice',
  host: '*',
  operation: 3,
  permissionType: 3,
}
const filter = {
  resourceTypeFilter: 2,
  resourceNameFilter: null,
  patternTypeFilter: 3,
  principalFilter: null,
  hostFilter: null,
  operation: 1,
  permissionType: 1,
}

describe('ACL APIs without an authorizer', () => {
  it('DescribeAcls answers SECURITY_DISABLED with no resources (v0-3)', async () => {
    for (let v = 0; v <= 3; v++) {
      const req = request(describeAclsRequestCodec, {}, v)
      const res = wire(describeAclsResponseCodec, (await describeAclsHandler.handle(ctx(29, v), req, {}))!, v)
      assert.equal(res.errorCode, ErrorCode.SECURITY_DISABLED)
      assert.equal(res.errorMessage, 'No Authorizer is configured on the broker')
      assert.deepEqual(res.resources, [])
    }
  })

  it('CreateAcls answers SECURITY_DISABLED for every creation (v0-3)', async () => {
    for (let v = 0; v <= 3; v++) {
      const req = request(createAclsRequestCodec, { creations: [acl, { ...acl, principal: 'User:bob' }] }, v)
      const res = wire(createAclsResponseCodec, (await createAclsHandler.handle(ctx(30, v), req, {}))!, v)
      assert.deepEqual(res.results, [
        { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' },
        { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' },
      ])
    }
  })

  it('DeleteAcls answers SECURITY_DISABLED for every filter (v0-3)', async () => {
    for (let v = 0; v <= 3; v++) {
      const req = request(deleteAclsRequestCodec, { filters: [filter] }, v)
      const res = wire(deleteAclsResponseCodec, (await deleteAclsHandler.handle(ctx(31, v), req, {}))!, v)
      assert.deepEqual(res.filterResults, [
        {
          errorCode: ErrorCode.SECURITY_DISABLED,
          errorMessage: 'No Authorizer is configured.',
          matchingAcls: [],
        },
      ])
    }
  })

  it('error responses carry the code for every item', () => {
    const c = request(createAclsRequestCodec, { creations: [acl] }, 1)
    assert.equal(
      createAclsHandler.errorResponse!(c, 1, ErrorCode.UNSUPPORTED_VERSION).results[0]!.errorCode,
      35,
    )
    const d = request(deleteAclsRequestCodec, { filters: [filter, filter] }, 1)
    assert.equal(
      deleteAclsHandler.errorResponse!(d, 1, ErrorCode.UNSUPPORTED_VERSION).filterResults.length,
      2,
    )
    const s = request(describeAclsRequestCodec, {}, 1)
    assert.equal(
      describeAclsHandler.errorResponse!(s, 1, ErrorCode.UNSUPPORTED_VERSION).errorCode,
      ErrorCode.UNSUPPORTED_VERSION,
    )
  })
})
