import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DecodeError, InternalErrorCode, SamsaError } from '../../../src/common/errors.ts'
import type { TopicName } from '../../../src/common/ids.ts'
import {
  decodeRequestBody,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeResponseFrameChunks,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../src/protocol/frame.ts'
import { ApiKey } from '../../../src/protocol/generated/api-keys.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
  defaultApiVersionsResponse,
} from '../../../src/protocol/generated/messages/api-versions.ts'
import { controlledShutdownRequestCodec } from '../../../src/protocol/generated/messages/controlled-shutdown.ts'
import {
  defaultFetchResponse,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  fetchResponseCodec,
} from '../../../src/protocol/generated/messages/fetch.ts'
import {
  heartbeatRequestCodec,
  heartbeatResponseCodec,
} from '../../../src/protocol/generated/messages/heartbeat.ts'
import { SPLICE_MIN } from '../../../src/protocol/primitives/writer.ts'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const isCode = (code: string) => (e: unknown) => e instanceof SamsaError && e.code === code

describe('header versions', () => {
  it('follows flexibleVersions, with ControlledShutdown v0 and ApiVersions as exceptions', () => {
    assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1)
    assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2)
    assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0)
    assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1)
    assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2)
    assert.equal(requestHeaderVersion(ApiKey.DescribeCluster, 0), 2)
    assert.equal(responseHeaderVersion(ApiKey.Produce, 8), 0)
    assert.equal(responseHeaderVersion(ApiKey.Produce, 9), 1)
    assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0)
    assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 4), 0)
    assert.equal(responseHeaderVersion(ApiKey.Heartbeat, 4), 1)
  })
})

describe('request header decoding', () => {
  it('v0 (ControlledShutdown v0): key, version, correlation id, no client id', () => {
    // 0007 0000 | corr 0x01020304 | body: brokerId 5
    const buf = hex('0007 0000 01020304 00000005')
    const f = decodeRequestFrame(buf)
    assert.equal(f.headerVersion, 0)
    assert.equal(f.apiKey, ApiKey.ControlledShutdown)
    assert.equal(f.apiVersion, 0)
    assert.equal(f.correlationId, 0x01020304)
    assert.equal(f.clientId, null)
    assert.equal(f.bodyOffset, 8)
    assert.deepEqual(decodeRequestBody(f), { brokerId: 5, brokerEpoch: -1n })
  })

  it('v1: int16-length client id', () => {
    // Heartbeat v3 | corr 7 | clientId "abc" | body
    const body = hex('0001 67 00000001 0001 6d 0001 69')
    const buf = Buffer.concat([hex('000c 0003 00000007 0003 616263'), body])
    const f = decodeRequestFrame(buf)
    assert.equal(f.headerVersion, 1)
    assert.equal(f.clientId, 'abc')
    assert.equal(f.bodyOffset, 13)
    assert.deepEqual(decodeRequestBody(f), {
      groupId: 'g',
      generationId: 1,
      memberId: 'm',
      groupInstanceId: 'i',
    })
  })

  it('v1: null client id', () => {
    const f = decodeRequestFrame(hex('0003 0001 00000009 ffff 00000000'))
    assert.equal(f.headerVersion, 1)
    assert.equal(f.clientId, null)
    assert.equal(f.bodyOffset, 10)
  })

  it('v2: client id keeps its int16 length, then a tagged-field section (unknown tags skipped)', () => {
    // Heartbeat v4 | corr 258 | clientId "cli" | tagged: 1 field, tag 9, 2 bytes "xy" | body
    const header = hex('000c 0004 00000102 0003 636c69 01 09 02 7879')
    const body = hex('02 67 00000003 02 6d 00 00')
    const f = decodeRequestFrame(Buffer.concat([header, body]))
    assert.equal(f.headerVersion, 2)
    assert.equal(f.correlationId, 258)
    assert.equal(f.clientId, 'cli')
    assert.equal(f.bodyOffset, header.length)
    assert.deepEqual(decodeRequestBody(f), {
      groupId: 'g',
      generationId: 3,
      memberId: 'm',
      groupInstanceId: null,
    })
  })

  it('reads only the v1 fields of an ApiVersions request of a version it does not know', () => {
    // ApiVersions v99 | corr 42 | clientId "new" | whatever a future header and body hold
    const buf = hex('0012 0063 0000002a 0003 6e6577 05 ff ff ff ff 0f 00 01 02')
    const f = decodeRequestFrame(buf)
    assert.equal(f.supported, false)
    assert.equal(f.apiKey, ApiKey.ApiVersions)
    assert.equal(f.apiVersion, 99)
    assert.equal(f.correlationId, 42)
    assert.equal(f.clientId, 'new')
    assert.equal(f.headerVersion, 1)
    assert.notEqual(f.api, null)
    assert.throws(() => decodeRequestBody(f), isCode(InternalErrorCode.UnknownApi))
  })

  it('reads the v1 fields of an unknown API key', () => {
    const f = decodeRequestFrame(hex('7fff 0000 00000001 0000 dead'))
    assert.equal(f.api, null)
    assert.equal(f.supported, false)
    assert.equal(f.correlationId, 1)
    assert.equal(f.clientId, '')
  })

  it('refuses frames whose header does not decode', () => {
    assert.throws(() => decodeRequestFrame(hex('0012 0003 0000')), DecodeError)
    // client id length 10 with 3 bytes left
    assert.throws(() => decodeRequestFrame(hex('0012 0003 00000001 000a 616263')), DecodeError)
    // v2 header whose tagged field claims more bytes than remain
    assert.throws(() => decodeRequestFrame(hex('000c 0004 00000001 0000 01 00 7f')), DecodeError)
  })

  it('refuses a body with trailing bytes', () => {
    const ok = encodeRequestFrame(
      heartbeatRequestCodec,
      heartbeatRequestCodec.defaults(3),
      3,
      1,
      'c',
    ).subarray(4)
    assert.doesNotThrow(() => decodeRequestBody(decodeRequestFrame(ok)))
    const f = decodeRequestFrame(Buffer.concat([ok, hex('00')]))
    assert.throws(() => decodeRequestBody(f), DecodeError)
  })
})

describe('request frame encoding', () => {
  it('writes size | header v0 | body for ControlledShutdown v0', () => {
    const out = encodeRequestFrame(
      controlledShutdownRequestCodec,
      { brokerId: 5, brokerEpoch: -1n },
      0,
      3,
      'ignored',
    )
    assert.deepEqual(out, hex('0000000c 0007 0000 00000003 00000005'))
  })

  it('writes size | header v1 | body', () => {
    const out = encodeRequestFrame(apiVersionsRequestCodec, apiVersionsRequestCodec.defaults(2), 2, 1, 'ab')
    assert.deepEqual(out, hex('0000000c 0012 0002 00000001 0002 6162'))
  })

  it('writes size | header v2 (int16 client id, empty tags) | flexible body', () => {
    const req = { clientSoftwareName: 'x', clientSoftwareVersion: '1' }
    const out = encodeRequestFrame(apiVersionsRequestCodec, req, 3, 2, null)
    assert.deepEqual(out, hex('00000010 0012 0003 00000002 ffff 00 02 78 02 31 00'))
    const back = decodeRequestFrame(out.subarray(4))
    assert.deepEqual(decodeRequestBody(back), req)
  })
})

describe('response frame encoding', () => {
  it('ApiVersions v3 uses response header v0 (no tagged section after the correlation id)', () => {
    const resp = defaultApiVersionsResponse()
    resp.apiKeys = [{ apiKey: 18, minVersion: 0, maxVersion: 3 }]
    const out = encodeResponseFrame(apiVersionsResponseCodec, resp, 3, 9)
    assert.deepEqual(out, hex('00000013 00000009 0000 02 0012 0000 0003 00 00000000 00'))
    assert.deepEqual(decodeResponseFrame(apiVersionsResponseCodec, out.subarray(4), 3).body, resp)
  })

  it('flexible versions use response header v1', () => {
    const out = encodeResponseFrame(
      heartbeatResponseCodec,
      { throttleTimeMs: 1, errorCode: 27 },
      4,
      0x7fffffff,
    )
    assert.deepEqual(out, hex('0000000c 7fffffff 00 00000001 001b 00'))
    const back = decodeResponseFrame(heartbeatResponseCodec, out.subarray(4), 4)
    assert.equal(back.header.correlationId, 0x7fffffff)
    assert.deepEqual(back.body, { throttleTimeMs: 1, errorCode: 27 })
  })

  it('non-flexible versions use response header v0', () => {
    const out = encodeResponseFrame(heartbeatResponseCodec, { throttleTimeMs: 0, errorCode: 0 }, 3, 1)
    assert.deepEqual(out, hex('0000000a 00000001 00000000 0000'))
  })

  it('splices big records into the chunk list without copying, and agrees with the copied form', () => {
    const records = Buffer.alloc(SPLICE_MIN + 5, 0xab)
    const small = Buffer.alloc(10, 0xcd)
    const resp = defaultFetchResponse()
    const topic = defaultFetchResponseFetchableTopicResponse()
    topic.topic = 't' as TopicName
    const p0 = defaultFetchResponsePartitionData()
    p0.records = records
    const p1 = defaultFetchResponsePartitionData()
    p1.partitionIndex = 1
    p1.records = small
    topic.partitions = [p0, p1]
    resp.responses = [topic]
    for (const version of [4, 11, 12]) {
      const chunks = encodeResponseFrameChunks(fetchResponseCodec, resp, version, 5)
      assert.ok(chunks.includes(records), 'the big blob is a chunk of its own')
      assert.ok(!chunks.includes(small), 'small blobs are copied inline')
      const joined = Buffer.concat(chunks)
      assert.equal(joined.readInt32BE(0), joined.length - 4)
      assert.deepEqual(joined, encodeResponseFrame(fetchResponseCodec, resp, version, 5))
      assert.deepEqual(
        decodeResponseFrame(fetchResponseCodec, joined.subarray(4), version).body.responses[0].partitions[0]
          .records,
        records,
      )
    }
  })
})
