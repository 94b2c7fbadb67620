// The metadata and admin handlers in a registry behind the real dispatcher, with one services object
// implementing all their interfaces: whole request frames in, response frames out. Checks the
// advertised ranges and kafka-python's version probe (ApiVersions v0 then Metadata v0).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TopicName } from '../../../src/common/ids.ts'
import { ZERO_UUID } from '../../../src/common/ids.ts'
import { silentLogger } from '../../../src/common/logger.ts'
import type { MessageCodec } from '../../../src/protocol/codec.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/protocol/frame.ts'
import { ErrorCode } from '../../../src/protocol/generated/error-codes.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import {
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../../src/protocol/generated/messages/create-topics.ts'
import {
  metadataRequestCodec,
  metadataResponseCodec,
} from '../../../src/protocol/generated/messages/metadata.ts'
import { Dispatcher } from '../../../src/server/dispatcher.ts'
import type { AnyHandler } from '../../../src/server/handler.ts'
import {
  createAclsHandler,
  deleteAclsHandler,
  describeAclsHandler,
} from '../../../src/server/handlers/acls.ts'
import { addOffsetsToTxnHandler } from '../../../src/server/handlers/add-offsets-to-txn.ts'
import { addPartitionsToTxnHandler } from '../../../src/server/handlers/add-partitions-to-txn.ts'
import { type AlterConfigsServices, alterConfigsHandler } from '../../../src/server/handlers/alter-configs.ts'
import { type ApiVersionsServices, apiVersionsHandler } from '../../../src/server/handlers/api-versions.ts'
import {
  type CreatePartitionsServices,
  createPartitionsHandler,
} from '../../../src/server/handlers/create-partitions.ts'
import { type CreateTopicsServices, createTopicsHandler } from '../../../src/server/handlers/create-topics.ts'
import { type DeleteTopicsServices, deleteTopicsHandler } from '../../../src/server/handlers/delete-topics.ts'
import {
  type DescribeClusterServices,
  describeClusterHandler,
} from '../../../src/server/handlers/describe-cluster.ts'
import {
  type DescribeConfigsServices,
  describeConfigsHandler,
} from '../../../src/server/handlers/describe-configs.ts'
import {
  type DescribeLogDirsServices,
  describeLogDirsHandler,
} from '../../../src/server/handlers/describe-log-dirs.ts'
import { endTxnHandler } from '../../../src/server/handlers/end-txn.ts'
import {
  type IncrementalAlterConfigsServices,
  incrementalAlterConfigsHandler,
} from '../../../src/server/handlers/incremental-alter-configs.ts'
import { type MetadataServices, metadataHandler } from '../../../src/server/handlers/metadata.ts'
import { saslHandshakeHandler } from '../../../src/server/handlers/sasl-handshake.ts'
import { txnOffsetCommitHandler } from '../../../src/server/handlers/txn-offset-commit.ts'
import { Registry } from '../../../src/server/registry.ts'
import { fixture } from './admin-fixtures.ts'

type AllServices = ApiVersionsServices &
  MetadataServices &
  CreateTopicsServices &
  DeleteTopicsServices &
  CreatePartitionsServices &
  DescribeConfigsServices &
  AlterConfigsServices &
  IncrementalAlterConfigsServices &
  DescribeClusterServices &
  DescribeLogDirsServices

const HANDLERS = [
  apiVersionsHandler,
  metadataHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  describeLogDirsHandler,
  saslHandshakeHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
] as AnyHandler[]

async function setup() {
  const f = await fixture()
  const registry = new Registry(HANDLERS)
  const services = {
    ...f.services,
    apiRanges: () => registry.ranges(),
    describeLogDirs: async () => [],
  }
  // One object implements every handler's services interface (checked at compile time).
  const typed: AllServices = services
  const dispatcher = new Dispatcher(registry, typed, silentLogger)
  const conn = { id: 1, remote: '127.0.0.1:1', listener: 'PLAINTEXT' }
  async function call<Req, Res>(
    req: MessageCodec<Req>,
    res: MessageCodec<Res>,
    body: Partial<Req>,
    version: number,
  ): Promise<Res> {
    const frame = encodeRequestFrame(req, { ...req.defaults(version), ...body }, version, 42, 'client')
    const out = await dispatcher.dispatch(frame.subarray(4), conn)
    assert.ok(out)
    const whole = Buffer.concat(out)
    assert.equal(whole.readInt32BE(0), whole.length - 4)
    const { header, body: decoded } = decodeResponseFrame(res, whole.subarray(4), version)
    assert.equal(header.correlationId, 42)
    return decoded
  }
  return { f, registry, call }
}

describe('metadata and admin handlers behind the dispatcher', () => {
  it("advertise every schema version, floors included, and answer kafka-python's probe", async () => {
    const { registry, call } = await setup()
    for (const h of HANDLERS) {
      assert.equal(h.minVersion, h.request.minVersion, h.request.name)
      assert.equal(h.maxVersion, h.request.maxVersion, h.request.name)
    }
    const versions = await call(apiVersionsRequestCodec, apiVersionsResponseCodec, {}, 0)
    assert.equal(versions.errorCode, ErrorCode.NONE)
    assert.deepEqual(versions.apiKeys, registry.ranges())
    assert.ok(versions.apiKeys.some((k) => k.apiKey === 3 && k.minVersion === 0 && k.maxVersion === 12))
    const md = await call(metadataRequestCodec, metadataResponseCodec, { topics: [] }, 0)
    assert.equal(md.brokers.length, 1)
  })

  it('creates a topic and sees it in Metadata, newest versions', async () => {
    const { call } = await setup()
    const created = await call(
      createTopicsRequestCodec,
      createTopicsResponseCodec,
      {
        topics: [
          {
            name: 'wire' as TopicName,
            numPartitions: 2,
            replicationFactor: -1,
            assignments: [],
            configs: [],
          },
        ],
      },
      7,
    )
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE)
    const md = await call(
      metadataRequestCodec,
      metadataResponseCodec,
      { topics: [{ topicId: created.topics[0]!.topicId, name: null }] },
      12,
    )
    assert.deepEqual(
      md.topics.map((t) => [t.name, t.partitions.length]),
      [['wire', 2]],
    )
    assert.notEqual(md.topics[0]!.topicId, ZERO_UUID)
  })
})
