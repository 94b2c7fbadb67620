// A minimal Kafka wire client for the benchmark's load generators, over the project's own codec
// (src/protocol). It exists because the project's perf tools (src/cli/perf, on @platformatic/kafka)
// top out near 40 MB/s of produce on this machine, far below what the broker takes, so they would
// measure the client. This one sends pre-encoded frames and decodes only small responses.
//
// One connection: requests are written as given (pipelined), responses come back in order
// (Kafka's guarantee per connection) and resolve the oldest outstanding request.

import { connect, type Socket } from 'node:net'
import type { TopicName } from '../../src/common/ids.ts'
import type { MessageCodec } from '../../src/protocol/codec.ts'
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.ts'
import { FrameReader } from '../../src/protocol/frame-reader.ts'
import { ApiKey } from '../../src/protocol/generated/api-keys.ts'
import {
  apiVersionsRequestCodec,
  apiVersionsResponseCodec,
} from '../../src/protocol/generated/messages/api-versions.ts'
import {
  createTopicsRequestCodec,
  createTopicsResponseCodec,
} from '../../src/protocol/generated/messages/create-topics.ts'
import {
  deleteTopicsRequestCodec,
  deleteTopicsResponseCodec,
} from '../../src/protocol/generated/messages/delete-topics.ts'
import {
  listOffsetsRequestCodec,
  listOffsetsResponseCodec,
} from '../../src/protocol/generated/messages/list-offsets.ts'

export const CLIENT_ID = 'samsa-bench'

type Waiter = (frame: Buffer) => void

export class WireConnection {
  readonly socket: Socket
  private readonly reader = new FrameReader({ maxFrameSize: 0x7fffffff })
  private readonly waiting: Waiter[] = []
  private head = 0
  private nextCorrelation = 1
  private failure: Error | null = null

  private constructor(socket: Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) {
        const w = this.waiting[this.head]
        this.waiting[this.head++] = undefined as unknown as Waiter
        if (this.head > 4096) {
          this.waiting.splice(0, this.head)
          this.head = 0
        }
        w?.(f)
      }
    })
    const fail = (err: Error) => {
      this.failure ??= err
      const pending = this.waiting.slice(this.head)
      this.waiting.length = 0
      this.head = 0
      for (const w of pending) w?.(Buffer.alloc(0))
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  }

  static open(host: string, port: number): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject)
        resolve(new WireConnection(s))
      })
      s.once('error', reject)
    })
  }

  get error(): Error | null {
    return this.failure
  }

  get outstanding(): number {
    return this.waiting.length - this.head
  }

  /** Writes a complete request frame (size prefix included); `onResponse` gets the response body. */
  sendRaw(frame: Buffer, onResponse: Waiter): void {
    if (this.failure !== null) throw this.failure
    this.waiting.push(onResponse)
    this.socket.write(frame)
  }

  /** Encodes, sends and decodes one request. */
  request<Req, Res>(
    reqCodec: MessageCodec<Req>,
    resCodec: MessageCodec<Res>,
    msg: Req,
    version: number,
  ): Promise<Res> {
    const frame = encodeRequestFrame(reqCodec, msg, version, this.nextCorrelation++, CLIENT_ID)
    return new Promise((resolve, reject) => {
      this.sendRaw(frame, (body) => {
        if (body.length === 0) reject(this.failure ?? new Error('no response'))
        else resolve(decodeResponseFrame(resCodec, body, version).body)
      })
    })
  }

  close(): void {
    this.socket.destroy()
  }
}

/** API keys the broker advertises, with their version ranges. */
export async function apiRanges(c: WireConnection): Promise<Map<number, [number, number]>> {
  const res = await c.request(
    apiVersionsRequestCodec,
    apiVersionsResponseCodec,
    { ...apiVersionsRequestCodec.defaults(3), clientSoftwareName: CLIENT_ID, clientSoftwareVersion: '1' },
    3,
  )
  return new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as [number, number]]))
}

export async function createTopic(
  c: WireConnection,
  name: string,
  partitions: number,
  configs: Record<string, string | number> = {},
  replicationFactor = 1,
): Promise<void> {
  const res = await c.request(
    createTopicsRequestCodec,
    createTopicsResponseCodec,
    {
      ...createTopicsRequestCodec.defaults(7),
      timeoutMs: 120_000,
      topics: [
        {
          name: name as TopicName,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: String(v) })),
        },
      ],
    },
    7,
  )
  const code = res.topics[0]?.errorCode ?? -1
  if (code !== 0 && code !== 36 /* TOPIC_ALREADY_EXISTS */) {
    throw new Error(`CreateTopics ${name}: error ${code} ${res.topics[0]?.errorMessage ?? ''}`)
  }
}

/** The log start offset of one partition (ListOffsets, EARLIEST): retention moves it. */
export async function earliestOffset(c: WireConnection, topic: string, partition = 0): Promise<bigint> {
  const res = await c.request(
    listOffsetsRequestCodec,
    listOffsetsResponseCodec,
    {
      ...listOffsetsRequestCodec.defaults(4),
      replicaId: -1 as never,
      topics: [
        {
          name: topic as TopicName,
          partitions: [
            { partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 },
          ],
        },
      ],
    },
    4,
  )
  const p = res.topics[0]?.partitions[0]
  if (p === undefined || p.errorCode !== 0)
    throw new Error(`ListOffsets ${topic}-${partition}: error ${p?.errorCode}`)
  return p.offset
}

export async function deleteTopic(c: WireConnection, name: string): Promise<void> {
  await c.request(
    deleteTopicsRequestCodec,
    deleteTopicsResponseCodec,
    {
      ...deleteTopicsRequestCodec.defaults(5),
      timeoutMs: 30_000,
      topicNames: [name as TopicName],
      topics: [],
    },
    5,
  )
}

export { ApiKey }
