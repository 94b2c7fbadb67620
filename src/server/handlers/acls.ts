// DescribeAcls, CreateAcls, DeleteAcls: v0-3 each (flexible from v2). There is no authorizer yet
// (everything is allowed), so these answer as Kafka's broker does without `authorizer.class.name`:
// SECURITY_DISABLED — DescribeAcls with "No Authorizer is configured on the broker" and no
// resources, CreateAcls for every creation and DeleteAcls for every filter with
// "No Authorizer is configured." and no matching ACLs.
// Not implemented: ACLs themselves (a later security issue).

import { ErrorCode } from '../../protocol/generated/error-codes.ts'
import {
  type CreateAclsRequest,
  type CreateAclsResponse,
  createAclsRequestCodec,
  createAclsResponseCodec,
} from '../../protocol/generated/messages/create-acls.ts'
import {
  type DeleteAclsRequest,
  type DeleteAclsResponse,
  deleteAclsRequestCodec,
  deleteAclsResponseCodec,
} from '../../protocol/generated/messages/delete-acls.ts'
import {
  type DescribeAclsRequest,
  type DescribeAclsResponse,
  describeAclsRequestCodec,
  describeAclsResponseCodec,
} from '../../protocol/generated/messages/describe-acls.ts'
import type { Handler } from '../handler.ts'

const NO_AUTHORIZER = 'No Authorizer is configured.'

const describeAcls = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage,
  resources: [],
})

export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse, unknown> = {
  apiKey: 29,
  minVersion: 0,
  maxVersion: 3,
  request: describeAclsRequestCodec,
  response: describeAclsResponseCodec,
  handle: () => describeAcls(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured on the broker'),
  errorResponse: (_req, _version, errorCode) => describeAcls(errorCode, null),
}

const createAcls = (req: CreateAclsRequest, errorCode: number, errorMessage: string | null) => ({
  throttleTimeMs: 0,
  results: req.creations.map(() => ({ errorCode, errorMessage })),
})

export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse, unknown> = {
  apiKey: 30,
  minVersion: 0,
  maxVersion: 3,
  request: createAclsRequestCodec,
  response: createAclsResponseCodec,
  handle: (_ctx, req) => createAcls(req, ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER),
  errorResponse: (req, _version, errorCode) => createAcls(req, errorCode, null),
}

const deleteAcls = (req: DeleteAclsRequest, errorCode: number, errorMessage: string | null) => ({
  throttleTimeMs: 0,
  filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
})

export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse, unknown> = {
  apiKey: 31,
  minVersion: 0,
  maxVersion: 3,
  request: deleteAclsRequestCodec,
  response: deleteAclsResponseCodec,
  handle: (_ctx, req) => deleteAcls(req, ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER),
  errorResponse: (req, _version, errorCode) => deleteAcls(req, errorCode, null),
}
