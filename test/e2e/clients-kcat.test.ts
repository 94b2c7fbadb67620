// kcat (librdkafka 2.0.2) against a real broker process: metadata (-L, -L -J), produce/consume
// with keys, headers, null values and each compression codec (checked on disk: stored as sent),
// keyed partitioning over several partitions, and offsets by timestamp (-o s@, -o e@, -Q).
// The broker logs JSON lines (samsa.log.format=json) with the request logger at DEBUG through a
// log4j file using Kafka's name for it: every line it prints parses, and kcat's requests are logged.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { HANDLERS } from '../../src/broker/handlers.ts'
import { Compression } from '../../src/records/batch-header.ts'
import { type BrokerProcess, startBrokerProcess } from '../support/broker-process.ts'
import { kcat, kcatConsumeJson, sleep, storedBatches } from '../support/e2e-clients.ts'

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

// librdkafka < 2.11 enables LZ4 only when the broker advertises FindCoordinator v0 (its feature
// probe lumps LZ4 with the group coordinator); without it, it silently sends LZ4 batches
// uncompressed. The broker advertises exactly its registered handlers.
const FIND_COORDINATOR_V0 = HANDLERS.some((h) => h.apiKey === 10 && h.minVersion === 0)

function expectedStoredCodec(codec: (typeof CODECS)[number]): number {
  if (codec === 'lz4' && !FIND_COORDINATOR_V0) return Compression.none
  return Compression[codec]
}

describe('kcat (librdkafka 2.0.2) against the broker process', () => {
  let b: BrokerProcess | undefined
  let bs = ''
  const log4jDir = mkdtempSync(join(tmpdir(), 'samsa-e2e-log4j-'))
  before(async () => {
    const log4j = join(log4jDir, 'log4j.properties')
    writeFileSync(
      log4j,
      'log4j.rootLogger=INFO, stdout\nlog4j.logger.kafka.request.logger=DEBUG, requestAppender\n',
    )
    b = await startBrokerProcess({
      config: { 'num.partitions': 3, 'samsa.log.format': 'json', 'samsa.log4j.properties': log4j },
    })
    bs = b.bootstrap
  })
  after(async () => {
    await b?.stop()
    b?.cleanup()
    rmSync(log4jDir, { recursive: true, force: true })
  })

  it('lists metadata as text (-L) and JSON (-L -J) for an auto-created topic', async () => {
    await kcat(bs, ['-P', '-t', 'meta', '-p', '0'], { input: 'hello\n' })
    const text = (await kcat(bs, ['-L', '-t', 'meta'])).stdout
    assert.match(text, new RegExp(`broker 1 at ${bs.replace(/\./g, '\\.')} \\(controller\\)`))
    assert.match(text, /topic "meta" with 3 partitions:/)
    for (let p = 0; p < 3; p++) {
      assert.match(text, new RegExp(`partition ${p}, leader 1, replicas: 1, isrs: 1`))
    }
    const json = JSON.parse((await kcat(bs, ['-L', '-J'])).stdout) as {
      controllerid: number
      brokers: { id: number; name: string }[]
      topics: { topic: string; error?: string; partitions: { partition: number; leader: number }[] }[]
    }
    assert.equal(json.controllerid, 1)
    assert.deepEqual(json.brokers, [{ id: 1, name: bs }])
    const meta = json.topics.find((t) => t.topic === 'meta')
    assert.ok(meta, 'topic listed')
    assert.equal(meta.error, undefined)
    assert.deepEqual(meta.partitions.map((p) => [p.partition, p.leader]).sort(), [
      [0, 1],
      [1, 1],
      [2, 1],
    ])
  })

  for (const codec of CODECS) {
    const how =
      codec === 'lz4' && !FIND_COORDINATOR_V0 ? ' (sent uncompressed: no FindCoordinator v0 yet)' : ''
    it(`produces and consumes keys, values and headers with compression ${codec}, stored as sent${how}`, async () => {
      const topic = `codec-${codec}`
      const big = `${'compressible payload '.repeat(5000)}end`
      const sent: { key: string; value: string }[] = []
      for (let i = 0; i < 200; i++)
        sent.push({ key: `key-${i}`, value: `value ${i} ünïcödé ${'x'.repeat(i)}` })
      sent.push({ key: 'big', value: big })
      const input = `${sent.map((m) => `${m.key}:${m.value}`).join('\n')}\n`
      const t0 = Date.now()
      await kcat(
        bs,
        [
          '-P',
          '-t',
          topic,
          '-p',
          '0',
          '-K:',
          '-z',
          codec,
          '-H',
          'trace=abc',
          '-H',
          `codec=${codec}`,
          '-H',
          'dup=1',
        ],
        { input: input.replace(/\n$/, '\ndup-tail:last\n') },
      )
      const t1 = Date.now()
      sent.push({ key: 'dup-tail', value: 'last' })
      const got = await kcatConsumeJson(bs, ['-t', topic, '-p', '0', '-o', 'beginning'])
      assert.equal(got.length, sent.length)
      got.forEach((m, i) => {
        assert.equal(m.offset, i)
        assert.equal(m.partition, 0)
        assert.equal(m.key, sent[i].key)
        assert.equal(m.payload, sent[i].value)
        assert.deepEqual(m.headers, ['trace', 'abc', 'codec', codec, 'dup', '1'])
        assert.equal(m.tstype, 'create')
        assert.ok(m.ts >= t0 - 1 && m.ts <= t1 + 1, `timestamp ${m.ts} within the produce window`)
      })
      // The broker stores batches as the producer compressed them (no recompression). librdkafka
      // sends a batch uncompressed when compressing does not make it smaller (a lone small first
      // message, say); the batch holding the 100 KB repetitive value always shrinks.
      const batches = storedBatches(join(b!.logDir, 'data'), topic, 0)
      assert.equal(
        batches.reduce((n, x) => n + x.recordsCount, 0),
        sent.length,
      )
      assert.equal(batches[batches.length - 1].lastOffset, BigInt(sent.length - 1))
      const want = expectedStoredCodec(codec)
      for (const x of batches)
        assert.ok([want, Compression.none].includes(x.compression as 0), `codec ${x.compression}`)
      const bigOffset = BigInt(sent.findIndex((m) => m.key === 'big'))
      const bigBatch = batches.find((x) => x.baseOffset <= bigOffset && bigOffset <= x.lastOffset)
      assert.equal(bigBatch?.compression, want)
    })
  }

  it("ApiVersions, as librdkafka logs it, leaves out the brokers' share-group state APIs", async () => {
    const r = await kcat(bs, ['-L', '-X', 'debug=feature'])
    const keys = new Set(
      [...r.stderr.matchAll(/ApiKey .* \((\d+)\) Versions \d+\.\.\d+/g)].map((m) => Number(m[1])),
    )
    // Client APIs (Produce, ShareFetch) are there; ReadShareGroupState (84) and
    // WriteShareGroupState (85) are inter-broker only; a standalone broker has no LeaderAndIsr (4).
    for (const k of [0, 18, 78]) assert.ok(keys.has(k), `ApiKey ${k} advertised`)
    for (const k of [4, 84, 85]) assert.ok(!keys.has(k), `ApiKey ${k} not advertised`)
  })

  it('produces null values (-Z) and null keys, and reads them back as null', async () => {
    await kcat(bs, ['-P', '-t', 'nulls', '-p', '0', '-K:', '-Z'], { input: 'k1:v1\nk2:\n:v3\n' })
    const got = await kcatConsumeJson(bs, ['-t', 'nulls', '-p', '0', '-o', 'beginning', '-Z'])
    assert.deepEqual(
      got.map((m) => [m.offset, m.key, m.payload]),
      [
        [0, 'k1', 'v1'],
        [1, 'k2', null],
        [2, null, 'v3'],
      ],
    )
  })

  it('produces with acks=0 (no responses): every message is stored, in order', async () => {
    const values = Array.from({ length: 2000 }, (_, i) => `fire-and-forget ${i}`)
    await kcat(bs, ['-P', '-t', 'acks0', '-p', '0', '-X', 'acks=0'], { input: `${values.join('\n')}\n` })
    // Nothing acknowledges the appends: wait until the end offset (-Q at -1, "latest") shows them all.
    let end = ''
    for (let tries = 0; tries < 100 && !/offset 2000\b/.test(end); tries++) {
      if (tries > 0) await sleep(50)
      end = (await kcat(bs, ['-Q', '-t', 'acks0:0:-1'])).stdout
    }
    assert.match(end, /acks0 \[0\] offset 2000\b/)
    const got = await kcatConsumeJson(bs, ['-t', 'acks0', '-p', '0', '-o', 'beginning'])
    assert.deepEqual(
      got.map((m) => [m.offset, m.payload]),
      values.map((v, i) => [i, v]),
    )
  })

  it('spreads keyed messages over partitions: each key on one partition, offsets dense from 0', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `user-${i}`)
    const input = `${[...keys, ...keys].map((k, i) => `${k}:${i}`).join('\n')}\n`
    await kcat(bs, ['-P', '-t', 'keyed', '-K:'], { input })
    // Without -p kcat reads every partition and (-e) exits when all reached their end.
    const all = await kcatConsumeJson(bs, ['-t', 'keyed', '-o', 'beginning'])
    for (let p = 0; p < 3; p++) {
      const offsets = all.filter((m) => m.partition === p).map((m) => m.offset)
      assert.deepEqual(offsets, [...offsets.keys()], `partition ${p} offsets dense from 0`)
    }
    assert.equal(all.length, keys.length * 2)
    const partitionOf = new Map<string, number>()
    for (const m of all) {
      const seen = partitionOf.get(m.key!)
      if (seen !== undefined) assert.equal(m.partition, seen, `key ${m.key} stays on one partition`)
      partitionOf.set(m.key!, m.partition)
    }
    assert.equal(partitionOf.size, keys.length)
    assert.ok(new Set(partitionOf.values()).size > 1, 'keys spread over more than one partition')
    // Per key, the two values come back in the order they were produced.
    for (const k of keys) {
      const values = all.filter((m) => m.key === k).map((m) => Number(m.payload))
      assert.equal(values.length, 2)
      assert.ok(values[0] < values[1])
    }
  })

  it('consumes from a timestamp (-o s@ts), up to a timestamp (-o e@ts), and queries offsets (-Q)', async () => {
    const topic = 'by-time'
    for (let run = 0; run < 3; run++) {
      const input = `${Array.from({ length: 5 }, (_, i) => `r${run}:m${run}-${i}`).join('\n')}\n`
      await kcat(bs, ['-P', '-t', topic, '-p', '0', '-K:'], { input })
      await sleep(25)
    }
    const all = await kcatConsumeJson(bs, ['-t', topic, '-p', '0', '-o', 'beginning'])
    assert.equal(all.length, 15)
    // Each kcat run stamps its messages; runs are 25 ms apart, so run 1 starts at a later time.
    const firstOfRun = (r: number) => all.find((m) => m.key === `r${r}`)!
    const ts1 = firstOfRun(1).ts
    const ts2 = firstOfRun(2).ts
    assert.ok(ts1 > Math.max(...all.filter((m) => m.key === 'r0').map((m) => m.ts)))
    const expectFrom = (ts: number) => all.findIndex((m) => m.ts >= ts)

    const fromTs1 = await kcatConsumeJson(bs, ['-t', topic, '-p', '0', '-o', `s@${ts1}`])
    assert.equal(fromTs1[0].offset, expectFrom(ts1))
    assert.deepEqual(
      fromTs1.map((m) => [m.offset, m.key, m.payload, m.ts]),
      all.slice(expectFrom(ts1)).map((m) => [m.offset, m.key, m.payload, m.ts]),
    )
    const between = await kcatConsumeJson(bs, ['-t', topic, '-p', '0', '-o', `s@${ts1}`, '-o', `e@${ts2}`])
    assert.deepEqual(
      between.map((m) => m.offset),
      all.filter((m) => m.ts >= ts1 && m.ts < ts2).map((m) => m.offset),
    )
    const q = (await kcat(bs, ['-Q', '-t', `${topic}:0:${ts2}`])).stdout
    assert.match(q, new RegExp(`${topic} \\[0\\] offset ${expectFrom(ts2)}\\b`))
    // A timestamp after every message: no offset (-1), as Kafka answers.
    const qEnd = (await kcat(bs, ['-Q', '-t', `${topic}:0:${all[14].ts + 1000}`])).stdout
    assert.match(qEnd, new RegExp(`${topic} \\[0\\] offset -1\\b`))
  })

  it('logs JSON lines only, and a samsa.request.logger line for each request (a Produce from kcat)', async () => {
    await kcat(bs, ['-P', '-t', 'logged', '-p', '0', '-X', 'client.id=kcat-logged'], { input: 'logged\n' })
    const records: Record<string, unknown>[] = []
    for (const l of b!.output().split('\n')) {
      if (l === '') continue
      try {
        records.push(JSON.parse(l) as Record<string, unknown>)
      } catch {
        assert.fail(`a log line is not JSON: ${l}`)
      }
    }
    for (const r of records) {
      assert.equal(typeof r.time, 'string')
      assert.ok(!Number.isNaN(Date.parse(r.time as string)), String(r.time))
      assert.match(String(r.level), /^(TRACE|DEBUG|INFO|WARN|ERROR)$/)
      assert.match(String(r.logger), /^samsa(\.|$)/)
      assert.equal(typeof r.msg, 'string')
    }
    assert.ok(records.some((r) => r.logger === 'samsa' && /started: /.test(String(r.msg))))
    const mine = records.filter((r) => r.logger === 'samsa.request.logger' && r.clientId === 'kcat-logged')
    assert.deepEqual(
      mine.map((r) => r.level),
      mine.map(() => 'DEBUG'),
    )
    const produce = mine.find((r) => r.api === 'Produce')
    assert.ok(
      produce,
      `no Produce request line from kcat among:\n${mine.map((r) => JSON.stringify(r)).join('\n')}`,
    )
    // One message, one batch, one Produce request: one line.
    assert.equal(mine.filter((r) => r.api === 'Produce').length, 1)
    assert.equal(produce.msg, 'Completed request')
    assert.equal(produce.listener, 'PLAINTEXT')
    assert.equal(produce.principal, 'User:ANONYMOUS')
    assert.match(String(produce.remote), /^127\.0\.0\.1:\d+$/)
    for (const k of [
      'version',
      'correlationId',
      'connection',
      'totalTimeMs',
      'requestBytes',
      'responseBytes',
    ])
      assert.equal(typeof produce[k], 'number', k)
    assert.ok((produce.requestBytes as number) > 'logged'.length)
    assert.ok((produce.responseBytes as number) > 0)
    // kcat's first requests on its connection are logged too, before its Produce.
    assert.ok(mine.some((r) => r.api === 'ApiVersions' || r.api === 'Metadata'))
  })
})
