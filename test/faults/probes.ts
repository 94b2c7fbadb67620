// Direct checks of the guarantee that some nemeses make while the fault is in place (issue 12):
// - probeRefused: three acks=all writes to one partition through one broker only (confluent-kafka,
//   that broker as the only bootstrap, no retries), for a leader cut off from the others, whose
//   stale metadata sends the writes to itself; any acknowledgement is a violation;
// - produceToZombie: an acks=all Produce written to a broker's socket while the broker is frozen
//   (SIGSTOP) and its session expires, so that it is the first thing the broker reads when it wakes
//   up — still believing it leads the partition. Sent with the internal wire client straight to
//   that broker (no metadata, no redirect), so the answer is the zombie's own: it must never be
//   NONE (the ISR moved on to another leader; only a fenced answer, NOT_LEADER_OR_FOLLOWER, a
//   timeout or a dropped connection are right).

import { BrokerClient } from '../../src/client/broker-client.ts'
import type { TopicName } from '../../src/common/ids.ts'
import { produceRequestCodec, produceResponseCodec } from '../../src/protocol/generated/messages/produce.ts'
import { buildBatch } from '../../src/records/builder.ts'
import { PYTHON, runOk } from '../support/e2e-clients.ts'
import type { NemesisContext } from './nemeses.ts'

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

// Three records with keys unique to this probe (the history check flags keys seen twice), to one
// partition through one broker only, acks=all, no retries: each report carries that broker's own
// answer. Metadata comes from that broker alone (the only bootstrap), so the writes go to whoever
// it believes leads the partition, i.e. to itself.
const PROBE = `
import json, sys
from confluent_kafka import Producer
a = json.load(sys.stdin)
p = Producer({'bootstrap.servers': a['bs'], 'acks': 'all', 'enable.idempotence': False, 'retries': 0,
              'linger.ms': 0, 'message.timeout.ms': a['ms'], 'request.timeout.ms': a['ms'],
              'topic.metadata.refresh.interval.ms': 600000})
out = []
def report(err, msg):
    out.append({'error': err.code() if err else 0, 'reason': err.str() if err else None, 'offset': msg.offset()})
for i in range(3):
    p.produce(a['topic'], key=('probe-%s-%d' % (a['tag'], i)).encode(), value=b'probe', partition=a['p'], on_delivery=report)
left = p.flush(a['ms'] / 1000 + 10)
print(json.dumps({'left': left, 'reports': out}))
`

let probes = 0

/** acks=all writes to `partition` through broker `id` alone; violations are acknowledged ones. */
export async function probeRefused(
  x: NemesisContext,
  id: number,
  partition: number,
  why: string,
): Promise<string> {
  const tag = `${process.pid}-${probes++}`
  const input = JSON.stringify({
    bs: x.c.brokers.get(id)!.bootstrap,
    topic: x.topic,
    p: partition,
    ms: 3000,
    tag,
  })
  const r = await runOk(PYTHON, ['-c', PROBE], { input, timeoutMs: 30000 })
  const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    left: number
    reports: { error: number; reason: string | null; offset: number }[]
  }
  const acked = res.reports.filter((p) => p.error === 0)
  if (acked.length > 0)
    x.violation(
      `broker ${id} acknowledged acks=all writes to ${x.topic}-${partition} (probe ${tag}, offsets ${acked.map((a) => a.offset).join(',')}) ${why}`,
    )
  const counts = new Map<string, number>()
  for (const p of res.reports) {
    const k = p.error === 0 ? 'ACKED' : `${p.error} ${p.reason}`
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  if (res.left > 0) counts.set('no report', res.left)
  return [...counts].map(([k, n]) => `${n}x ${k}`).join(', ')
}
