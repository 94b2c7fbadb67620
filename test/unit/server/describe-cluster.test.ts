import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  type DescribeClusterRequest,
  describeClusterRequestCodec,
  describeClusterResponseCodec,
} from '../../../src/protocol/generated/messages/describe-cluster.ts'
import { describeClusterHandler } from '../../../src/server/handlers/describe-cluster.ts'
import {
  AUTHORIZED_OPS_NOT_REQUESTED,
  CLUSTER_AUTHORIZED_OPS,
} from '../../../src/server/handlers/metadata-brokers.ts'
import { ctx, type Fixture, fixture, HOST, NODE_ID, PORT, request, wire } from './admin-fixtures.ts'

async function describeCluster(
  f: Fixture,
  version: number,
  fields: Partial<DescribeClusterRequest> = {},
  listener = 'PLAINTEXT',
) {
  const req = request(describeClusterRequestCodec, fields, version)
  const res = await describeClusterHandler.handle(ctx(60, version, listener), req, f.services)
  assert.ok(res)
  return wire(describeClusterResponseCodec, res, version)
}

describe('DescribeCluster', () => {
  it('lists this broker on the request listener with cluster and controller ids (v0-1)', async () => {
    const f = await fixture()
    for (const v of [0, 1]) {
      const res = await describeCluster(f, v)
      assert.equal(res.errorCode, ErrorCode.NONE)
      assert.equal(res.clusterId, 'test-cluster-id')
      assert.equal(res.controllerId, NODE_ID)
      assert.equal(res.endpointType, 1)
      assert.deepEqual(res.brokers, [{ brokerId: NODE_ID, host: HOST, port: PORT, rack: 'rack-a' }])
      assert.equal(res.clusterAuthorizedOperations, AUTHORIZED_OPS_NOT_REQUESTED)
    }
    const internal = await describeCluster(f, 1, {}, 'INTERNAL')
    assert.deepEqual(
      internal.brokers.map((b) => [b.host, b.port]),
      [['internal.example', 9093]],
    )
  })

  it('reports cluster operations only when asked', async () => {
    const f = await fixture()
    const res = await describeCluster(f, 0, { includeClusterAuthorizedOperations: true })
    assert.equal(res.clusterAuthorizedOperations, CLUSTER_AUTHORIZED_OPS)
  })

  it('answers controller -1 when the controller is not a listed broker', async () => {
    const f = await fixture({}, { register: false })
    const res = await describeCluster(f, 1)
    assert.deepEqual(res.brokers, [])
    assert.equal(res.controllerId, -1)
  })

  it("refuses controller and unknown endpoint types with Kafka's codes", async () => {
    const f = await fixture()
    const controllers = await describeCluster(f, 1, { endpointType: 2 })
    assert.equal(controllers.errorCode, ErrorCode.MISMATCHED_ENDPOINT_TYPE)
    assert.match(controllers.errorMessage!, /endpoint of type BROKER/)
    const unknown = await describeCluster(f, 1, { endpointType: 9 })
    assert.equal(unknown.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE)
    assert.equal(unknown.errorMessage, 'Unsupported endpoint type 9')
  })

  it('has an error response carrying the code', () => {
    const req = request(describeClusterRequestCodec, {}, 0)
    const res = describeClusterHandler.errorResponse!(req, 0, ErrorCode.UNSUPPORTED_VERSION)
    assert.equal(wire(describeClusterResponseCodec, res, 0).errorCode, ErrorCode.UNSUPPORTED_VERSION)
  })
})
