// Byte-level checks of the generated codec against the wire format as the Kafka protocol guide
// states it (hand-assembled bytes), defaults, version refusals, and the zero-copy paths.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DecodeError, EncodeError } from '../../../src/common/errors.ts'
import { type TopicName, type Uuid, ZERO_UUID } from '../../../src/common/ids.ts'
import { decodeMessage, encodeMessage, encodeMessageSpliced } from '../../../src/protocol/codec.ts'
import { API_TABLE, ApiKey } from '../../../src/protocol/generated/api-keys.ts'
import { ERROR_TABLE, ErrorCode, errorName } from '../../../src/protocol/generated/error-codes.ts'
import { requestHeaderCodec, responseHeaderCodec } from '../../../src/protocol/generated/headers.ts'
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import {
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  type FetchResponse,
  fetchRequestCodec,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import { metadataRequestCodec } from '../../../src/protocol/generated/messages/metadata.ts'
import {
  type ProduceRequest,
  produceRequestCodec,
  produceResponseCodec,
} from '../../../src/protocol/generated/messages/produce.ts'
import { Reader } from '../../../src/protocol/primitives/reader.ts'
import { SPLICE_MIN, Splice } from '../../../src/protocol/primitives/writer.ts'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex')

describe('generated codec: bytes on the wire', () => {
  it('ApiVersions v3 request with request header v2 (clientId keeps its int16 length)', () => {
    const header = { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'cli' }
    const body: ApiVersionsRequest = { clientSoftwareName: 'samsa', clientSoftwareVersion: '1.0' }
    const headerBytes = hex(`0012 0003 00000007 0003 ${ascii('cli')} 00`)
    const bodyBytes = hex(`06 ${ascii('samsa')} 04 ${ascii('1.0')} 00`)
    assert.deepEqual(encodeMessage(requestHeaderCodec, header, 2), headerBytes)
    assert.deepEqual(encodeMessage(apiVersionsRequestCodec, body, 3), bodyBytes)
    assert.deepEqual(decodeMessage(requestHeaderCodec, headerBytes, 2), header)
    assert.deepEqual(decodeMessage(apiVersionsRequestCodec, bodyBytes, 3), body)
    // Header and body read back to back from one frame, as the network layer does.
    const r = new Reader(Buffer.concat([headerBytes, bodyBytes]))
    assert.deepEqual(requestHeaderCodec.decode(r, 2), header)
    assert.deepEqual(apiVersionsRequestCodec.decode(r, 3), body)
    assert.equal(r.error, null)
    assert.equal(r.remaining, 0)
  })

  it('request header v1 and v2 encode a null clientId as int16 -1; v0 has no clientId', () => {
    const header = { requestApiKey: 7, requestApiVersion: 0, correlationId: 1, clientId: null }
    assert.deepEqual(encodeMessage(requestHeaderCodec, header, 1), hex('0007 0000 00000001 ffff'))
    assert.deepEqual(encodeMessage(requestHeaderCodec, header, 2), hex('0007 0000 00000001 ffff 00'))
    assert.deepEqual(decodeMessage(requestHeaderCodec, hex('0007 0000 00000001'), 0), {
      ...header,
      clientId: '',
    })
    assert.deepEqual(encodeMessage(responseHeaderCodec, { correlationId: 9 }, 0), hex('00000009'))
    assert.deepEqual(encodeMessage(responseHeaderCodec, { correlationId: 9 }, 1), hex('00000009 00'))
  })

  const response: ApiVersionsResponse = {
    errorCode: 0,
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
    throttleTimeMs: 0,
    supportedFeatures: [{ name: 'x', minVersion: 1, maxVersion: 2 }],
    finalizedFeaturesEpoch: 5n,
    finalizedFeatures: [],
    zkMigrationReady: true,
  }
  // error, compact array of 1 (ApiKey, Min, Max, no tags), throttle, then 3 tagged fields in
  // ascending order: 0 (8-byte payload), 1 (int64), 3 (bool); FinalizedFeatures is empty = default.
  const responseBytes = hex(
    '0000 02 0012 0000 0004 00 00000000 ' +
      `03 00 08 02 02${ascii('x')} 0001 0002 00 01 08 0000000000000005 03 01 01`,
  )

  it('ApiVersions v3 response: non-default tagged fields only, in ascending tag order', () => {
    assert.deepEqual(encodeMessage(apiVersionsResponseCodec, response, 3), responseBytes)
    assert.deepEqual(decodeMessage(apiVersionsResponseCodec, responseBytes, 3), response)
    const plain = { ...response, supportedFeatures: [], finalizedFeaturesEpoch: -1n, zkMigrationReady: false }
    assert.deepEqual(
      encodeMessage(apiVersionsResponseCodec, plain, 3),
      hex('0000 02 0012 0000 0004 00 00000000 00'),
    )
  })

  it('skips unknown tags and bounds a known tag by its size', () => {
    const body = hex(`06 ${ascii('samsa')} 04 ${ascii('1.0')} 02 0a 02 aabb 7f 00`)
    assert.deepEqual(decodeMessage(apiVersionsRequestCodec, body, 3), {
      clientSoftwareName: 'samsa',
      clientSoftwareVersion: '1.0',
    })
    // Tag 1 (an int64) declared with 9 bytes, or 4: refused rather than misread.
    const base = '0000 01 00000000'
    const tooLong = hex(`${base} 01 01 09 0000000000000005 00`)
    const tooShort = hex(`${base} 01 01 04 00000005`)
    assert.throws(() => decodeMessage(apiVersionsResponseCodec, tooLong, 3), DecodeError)
    assert.throws(() => decodeMessage(apiVersionsResponseCodec, tooShort, 3), DecodeError)
    // A tag whose size runs past the end of the message.
    assert.throws(() => decodeMessage(apiVersionsRequestCodec, hex('01 01 01 05 ff'), 3), DecodeError)
  })

  it('Produce: compact nullable string null is 0x00, int16 nullable string null is ffff', () => {
    const req: ProduceRequest = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [] }
    assert.deepEqual(encodeMessage(produceRequestCodec, req, 9), hex('00 ffff 000003e8 01 00'))
    assert.deepEqual(encodeMessage(produceRequestCodec, req, 3), hex('ffff ffff 000003e8 00000000'))
    assert.deepEqual(decodeMessage(produceRequestCodec, hex('00 ffff 000003e8 01 00'), 9), req)
    // A non-nullable compact string (the topic name) sent as null is a decode error.
    const nullName = hex('00 ffff 000003e8 02 00 01 00 00')
    assert.throws(() => decodeMessage(produceRequestCodec, nullName, 9), DecodeError)
  })

  it('Produce v3 request: records are int32-length bytes and decode as a view of the frame', () => {
    const records = Buffer.from('0102030405', 'hex')
    const req: ProduceRequest = {
      transactionalId: 'tx' as ProduceRequest['transactionalId'],
      acks: 1,
      timeoutMs: 30000,
      topicData: [{ name: 't' as TopicName, partitionData: [{ index: 2, records }] }],
    }
    const bytes = encodeMessage(produceRequestCodec, req, 3)
    const expected = hex(
      `0002 ${ascii('tx')} 0001 00007530 00000001 0001 ${ascii('t')} 00000001 00000002 00000005 0102030405`,
    )
    assert.deepEqual(bytes, expected)
    const decoded = decodeMessage(produceRequestCodec, bytes, 3)
    const got = decoded.topicData[0].partitionData[0].records!
    assert.deepEqual(got, records)
    assert.equal(got.buffer, bytes.buffer)
    assert.equal(got.byteOffset, bytes.byteOffset + bytes.length - 5)
  })
})

describe('generated codec: defaults and version rules', () => {
  it('defaults() holds the schema defaults (hex, negative, null, true, nested structs)', () => {
    const f = fetchRequestCodec.defaults(17)
    assert.equal(f.replicaId, -1)
    assert.equal(f.maxBytes, 0x7fffffff)
    assert.equal(f.sessionEpoch, -1)
    assert.equal(f.clusterId, null)
    assert.equal(f.rackId, '')
    assert.deepEqual(f.replicaState, { replicaId: -1, replicaEpoch: -1n })
    assert.deepEqual(f.topics, [])
    assert.equal(metadataRequestCodec.defaults(12).allowAutoTopicCreation, true)
    assert.equal(produceResponseCodec.defaults(11).throttleTimeMs, 0)
    // Each call returns fresh objects: mutating one default does not leak into the next.
    const g = fetchRequestCodec.defaults(17)
    g.topics.push({ topic: 'x' as TopicName, topicId: ZERO_UUID, partitions: [] })
    assert.deepEqual(fetchRequestCodec.defaults(17).topics, [])
  })

  it('fields absent in a version decode to their default', () => {
    const v0 = decodeMessage(produceResponseCodec, hex('00000000'), 0)
    assert.equal(v0.throttleTimeMs, 0)
    assert.deepEqual(v0.nodeEndpoints, [])
  })

  it('refuses a non-default value for a field the version lacks unless it is ignorable', () => {
    const req = { ...produceRequestCodec.defaults(2), transactionalId: 'tx' } as ProduceRequest
    assert.throws(() => encodeMessage(produceRequestCodec, req, 2), EncodeError)
    assert.doesNotThrow(() => encodeMessage(produceRequestCodec, req, 3))
    // FetchResponse.CurrentLeader is tagged from v12 and not ignorable.
    const resp = fetchResponse(Buffer.alloc(1), 12)
    resp.responses[0].partitions[0].currentLeader = { leaderId: 3 as never, leaderEpoch: 4 }
    assert.throws(() => encodeMessage(fetchResponseCodec, resp, 11), EncodeError)
    assert.doesNotThrow(() => encodeMessage(fetchResponseCodec, resp, 12))
    // ThrottleTimeMs is ignorable: v0 drops it silently and decodes it as the default.
    const pr = { ...produceResponseCodec.defaults(0), throttleTimeMs: 100 }
    assert.equal(
      decodeMessage(produceResponseCodec, encodeMessage(produceResponseCodec, pr, 0), 0).throttleTimeMs,
      0,
    )
  })

  it('refuses null where the version does not allow it', () => {
    const all = { ...metadataRequestCodec.defaults(0), topics: null }
    assert.throws(() => encodeMessage(metadataRequestCodec, all, 0), EncodeError)
    assert.deepEqual(encodeMessage(metadataRequestCodec, all, 1), hex('ffffffff'))
    assert.throws(() => decodeMessage(metadataRequestCodec, hex('ffffffff'), 0), DecodeError)
  })

  it('refuses versions outside validVersions on both paths', () => {
    const max = produceRequestCodec.maxVersion
    assert.throws(
      () => encodeMessage(produceRequestCodec, produceRequestCodec.defaults(max), max + 1),
      EncodeError,
    )
    const r = new Reader(hex('00'))
    produceRequestCodec.decode(r, max + 1)
    assert.ok(r.error instanceof DecodeError)
  })
})

describe('generated tables', () => {
  it('api keys and the api table agree with the schemas', () => {
    assert.equal(ApiKey.Produce, 0)
    assert.equal(ApiKey.ApiVersions, 18)
    assert.equal(ApiKey.ReadShareGroupStateSummary, 87)
    for (const [i, e] of API_TABLE.entries()) assert.equal(e.key, i)
    const produce = API_TABLE[ApiKey.Produce]
    assert.equal(produce.request, produceRequestCodec)
    assert.equal(produce.flexibleMin, 9)
    assert.deepEqual(produce.deprecated, { min: 0, max: 6 })
    assert.equal(API_TABLE[ApiKey.SaslHandshake].flexibleMin, Number.POSITIVE_INFINITY)
  })

  it('error table comes from ERRORS.md', () => {
    assert.equal(ErrorCode.NONE, 0)
    assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1)
    assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35)
    assert.equal(ERROR_TABLE.get(6)?.name, 'NOT_LEADER_OR_FOLLOWER')
    assert.equal(ERROR_TABLE.get(6)?.retriable, true)
    assert.equal(ERROR_TABLE.get(35)?.retriable, false)
    assert.match(ERROR_TABLE.get(3)?.message ?? '', /does not host this topic-partition/)
    assert.equal(errorName(-12345), 'UNKNOWN(-12345)')
  })
})

/** A Fetch response with one partition; topics are named up to v12 and identified by id from v13. */
function fetchResponse(records: Buffer, v = 16): FetchResponse {
  const resp = fetchResponseCodec.defaults(v)
  const partition = { ...defaultFetchResponsePartitionData(), partitionIndex: 0, highWatermark: 10n, records }
  const topic = { ...defaultFetchResponseFetchableTopicResponse(), partitions: [partition] }
  if (v <= 12) topic.topic = 'orders' as TopicName
  else topic.topicId = Buffer.alloc(16, 1).toString('base64url') as Uuid
  resp.responses = [topic]
  return resp
}

describe('generated codec: splicing record blobs', () => {
  it('a Fetch response with 1 MiB of records references the blob instead of copying it', () => {
    const blob = Buffer.alloc(1 << 20)
    for (let i = 0; i < blob.length; i += 4096) blob[i] = i & 0xff
    for (const v of [4, 11, 12, 16]) {
      const resp = fetchResponse(blob, v)

      const splice = new Splice()
      const inline = fetchResponseCodec.size(resp, v, splice)
      assert.equal(splice.bytes, blob.length)
      assert.ok(inline < 200, `envelope of ${inline} bytes`)

      const { chunks, size } = encodeMessageSpliced(fetchResponseCodec, resp, v)
      assert.ok(chunks.includes(blob), 'the blob itself is one of the chunks')
      const copied = encodeMessage(fetchResponseCodec, resp, v)
      assert.equal(size, copied.length)
      assert.ok(Buffer.concat(chunks).equals(copied))
      assert.deepEqual(decodeMessage(fetchResponseCodec, copied, v), resp)
    }
  })

  it('blobs under the splice threshold are copied inline', () => {
    const small = Buffer.alloc(SPLICE_MIN - 1, 3)
    const { chunks } = encodeMessageSpliced(fetchResponseCodec, fetchResponse(small), 16)
    assert.equal(chunks.length, 1)
  })
})
