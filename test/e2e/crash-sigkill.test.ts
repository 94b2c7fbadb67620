// SIGKILL of the broker process in the middle of a produce stream from a real client
// (confluent-kafka 1.7.0 / librdkafka 2.0.2, test/e2e/py/confluent_client.py stream_produce, which
// prints each delivery report as it arrives), restart on the same log dir and port while the
// producer keeps retrying, then read the partition back with kcat:
// - acks=1 and acks=-1 (not idempotent): every acknowledged record is in the log at the offset it
//   was acknowledged with (retries of unacknowledged sends may add duplicates: allowed).
// - enable.idempotence=true, killed twice: every message acknowledged once, the log is exactly
//   v-0..v-(n-1) at offsets 0..n-1 (no duplicate, no gap, in order).
// Kill moments are random (printed in the test output for reproduction).

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcatConsumeJson, PY_DIR, PYTHON, sleep, storedBatches } from '../support/e2e-clients.ts'

const COUNT = 6000

interface Delivery {
  i: number
  offset?: number
  error?: number
  reason?: string
}

/** The running producer: deliveries as they are reported, and its exit. */
interface Stream {
  child: ChildProcess
  deliveries: Delivery[]
  exited: Promise<number | null>
  stderr(): string
}

function startStream(bootstrap: string, args: Record<string, unknown>): Stream {
  const child = spawn(PYTHON, [join(PY_DIR, 'confluent_client.py'), bootstrap, 'stream_produce'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const deliveries: Delivery[] = []
  let buf = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let nl = buf.indexOf('\n')
    while (nl >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      const o = JSON.parse(line) as Delivery | { done: number }
      if ('i' in o) deliveries.push(o)
      nl = buf.indexOf('\n')
    }
  })
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  child.stdin!.end(JSON.stringify(args))
  return { child, deliveries, exited, stderr: () => err }
}

async function until(cond: () => boolean, what: string, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

describe('SIGKILL during a produce stream, restart on the same log dir', () => {
  const brokers: BrokerProcess[] = []
  const streams: Stream[] = []
  after(async () => {
    for (const s of streams) if (s.child.exitCode === null) s.child.kill('SIGKILL')
    for (const b of brokers) await b.kill()
    for (const b of brokers) b.cleanup()
  })

  /**
   * Runs one stream; for each fraction in `killsAt`, waits until that share of the messages is
   * acknowledged, SIGKILLs the broker, checks what survived on disk, and restarts the broker on
   * the same dir and port while the producer keeps going.
   */
  async function scenario(producer: Record<string, unknown>, killsAt: number[]) {
    const first = await startBrokerProcess()
    brokers.push(first)
    const port = first.port
    const dataDir = join(first.logDir, 'data')
    let b = first
    // Paced (a 2 ms pause every 8 messages) so that the stream is still running at each kill;
    // short reconnect backoff so the producer finds the restarted broker quickly.
    const stream = startStream(first.bootstrap, {
      topic: 'crash',
      count: COUNT,
      pauseEvery: 8,
      conf: { 'reconnect.backoff.ms': 20, 'reconnect.backoff.max.ms': 100 },
      ...producer,
    })
    streams.push(stream)
    const crashes: { acked: Delivery[]; durable: number; resumedAfterMs: number }[] = []
    for (const at of killsAt) {
      await until(() => stream.deliveries.length >= at * COUNT, `${at * COUNT} deliveries`)
      // A random few milliseconds more, so the kill lands anywhere in a request's life.
      await sleep(Math.floor(Math.random() * 4))
      await b.kill()
      const acked = stream.deliveries.filter((d) => d.offset !== undefined)
      // What a restart will find: whole batches on disk. Every acknowledgement seen so far points
      // into it, and the stream was interrupted (its last messages are not there yet).
      const batches = storedBatches(dataDir, 'crash', 0)
      const durable = batches.length === 0 ? 0 : Number(batches[batches.length - 1].lastOffset) + 1
      for (const d of acked) assert.ok(d.offset! < durable, `acknowledged offset ${d.offset} is on disk`)
      assert.ok(durable < COUNT, 'the kill interrupted the stream')
      await sleep(Math.floor(Math.random() * 300))
      b = await startBrokerProcess({
        logDir: first.logDir,
        config: { listeners: `PLAINTEXT://127.0.0.1:${port}` },
      })
      brokers.push(b)
      assert.equal(b.port, port)
      assert.match(b.output(), /unclean shutdown/)
      const restartedAt = Date.now()
      const seen = stream.deliveries.length
      await until(
        () => stream.deliveries.length > seen || stream.child.exitCode !== null,
        'deliveries after restart',
      )
      crashes.push({ acked, durable, resumedAfterMs: Date.now() - restartedAt })
    }
    const code = await stream.exited
    assert.equal(code, 0, stream.stderr())
    assert.equal(stream.deliveries.length, COUNT, 'every message got a delivery report')
    const log = await kcatConsumeJson(b.bootstrap, ['-t', 'crash', '-p', '0', '-o', 'beginning'])
    for (const [i, m] of log.entries()) assert.equal(m.offset, i, 'log offsets dense from 0')
    const summary = crashes
      .map(
        (c) =>
          `kill: ${c.acked.length} acknowledged, ${c.durable} on disk, resumed ${c.resumedAfterMs} ms after restart`,
      )
      .join('; ')
    return { deliveries: stream.deliveries, log, crashes, summary }
  }

  function checkAcknowledged(
    deliveries: Delivery[],
    log: { offset: number; key: string | null; payload: string | null }[],
  ) {
    const acked = deliveries.filter((d) => d.offset !== undefined)
    const seen = new Set<number>()
    for (const d of acked) {
      assert.ok(!seen.has(d.offset!), `offset ${d.offset} acknowledged once`)
      seen.add(d.offset!)
      const rec = log[d.offset!]
      assert.ok(rec, `acknowledged offset ${d.offset} is in the log`)
      assert.equal(rec.key, `k-${d.i}`)
      assert.equal(rec.payload, `v-${d.i}`)
    }
    // Nothing in the log that was not sent.
    for (const m of log) assert.match(`${m.key} ${m.payload}`, /^k-(\d+) v-\1$/)
    return acked.length
  }

  for (const acks of [1, -1]) {
    const at = 0.1 + Math.random() * 0.6
    it(`acks=${acks}: every acknowledged record survives a SIGKILL at ${Math.round(at * 100)}% at its offset`, async (t) => {
      const { deliveries, log, crashes, summary } = await scenario({ acks, idempotence: false }, [at])
      t.diagnostic(`${summary}; log ${log.length} records`)
      const acked = checkAcknowledged(deliveries, log)
      assert.ok(log.length >= acked)
      // In order: before the kill (one connection, no retry yet) acknowledged offsets follow the
      // send order.
      const before = crashes[0].acked
      for (let k = 1; k < before.length; k++) {
        if (before[k].i > before[k - 1].i) assert.ok(before[k].offset! > before[k - 1].offset!)
      }
    })
  }

  const kills = [0.1 + Math.random() * 0.3, 0.5 + Math.random() * 0.3]
  it(`idempotent producer killed twice (at ${kills.map((k) => `${Math.round(k * 100)}%`).join(', ')}): no duplicate, no gap, in order`, async (t) => {
    const { deliveries, log, summary } = await scenario({ acks: -1, idempotence: true }, kills)
    t.diagnostic(summary)
    const failed = deliveries.filter((d) => d.error !== undefined)
    assert.deepEqual(failed, [], 'no delivery failed')
    checkAcknowledged(deliveries, log)
    assert.equal(log.length, COUNT, 'exactly one copy of each message')
    for (const [i, m] of log.entries()) {
      assert.equal(m.key, `k-${i}`)
      assert.equal(m.payload, `v-${i}`)
    }
    // The acknowledged offset of message i is i: retries across the restarts got the original offsets.
    for (const d of deliveries) assert.equal(d.offset, d.i)
  })
})
