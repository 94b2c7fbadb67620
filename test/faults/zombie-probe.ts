// The zombie check of pause-past-session (issue 12): an acks=all Produce written to a broker's
// socket while the broker is frozen (SIGSTOP) and its session expires, so that it is the first
// thing the broker reads when it wakes up — still believing it leads the partition. Sent with the
// internal wire client straight to that broker (no metadata, no redirect), so the answer is the
// zombie's own: it must never be NONE (the ISR moved on to another leader; only a fenced answer,
// NOT_LEADER_OR_FOLLOWER, a timeout or a dropped connection are right).

import { BrokerClient } from '../../src/client/broker-client.ts'
import type { TopicName } from '../../src/common/ids.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { buildBatch } from '../../src/records/builder.ts'

const PRODUCE = { apiKey: 0, version: 9, request: produceRequestCodec, response: produceResponseCodec }

export interface ZombieAnswer {
  /** The partition's error code, or null when no answer came (timeout, connection dropped). */
  errorCode: number | null
  baseOffset: bigint
  why: string
}

/**
 * Connects to `host:port` (the kernel accepts even while the process is stopped) and writes one
 * acks=all Produce of a record keyed `key`; resolves once the broker answered or gave up.
 */
export function produceToZombie(
  host: string,
  port: number,
  topic: string,
  partition: number,
  key: string,
  timeoutMs: number,
): Promise<ZombieAnswer> {
  const client = new BrokerClient({
    host,
    port,
    clientId: 'faults-zombie-probe',
    requestTimeoutMs: timeoutMs,
  })
  const records = buildBatch([{ key, value: 'zombie-probe' }], { timestamp: Date.now() })
  return client
    .send(PRODUCE, {
      transactionalId: null,
      acks: -1,
      timeoutMs: Math.max(1000, timeoutMs - 2000),
      topicData: [{ name: topic as TopicName, partitionData: [{ index: partition, records }] }],
    })
    .then(
      (res) => {
        const p = res.responses[0]?.partitionResponses[0]
        return {
          errorCode: p?.errorCode ?? null,
          baseOffset: p?.baseOffset ?? -1n,
          why: p === undefined ? 'empty answer' : `error ${p.errorCode}`,
        }
      },
      (e: Error) => ({ errorCode: null, baseOffset: -1n, why: e.message }),
    )
    .finally(() => client.close())
}
