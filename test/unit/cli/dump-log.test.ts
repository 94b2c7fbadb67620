// kafka-dump-log.sh on segments written by Samsa's own storage engine (NodeFs, a temp dir).

import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { captureIo } from '../../../src/cli/common/io.ts'
import { runTool } from '../../../src/cli/main.ts'
import { ManualClock } from '../../../src/common/clock.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'
import { encodeMessage } from '../../../src/protocol/codec.ts'
import { offsetCommitKeyCodec } from '../../../src/protocol/generated/records/offset-commit-key.ts'
import { offsetCommitValueCodec } from '../../../src/protocol/generated/records/offset-commit-value.ts'
import { buildBatch } from '../../../src/records/builder.ts'
import { Log } from '../../../src/storage/log.ts'
import { logConfig } from '../../../src/storage/log-config.ts'

let root: string
let dir: string

async function dump(...argv: string[]) {
  const io = captureIo(new PassThrough())
  const code = await runTool('dump-log', argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'samsa-dump-log-'))
  dir = join(root, 't-0')
  const fs = new NodeFs()
  await fs.mkdir(dir)
  const log = await Log.open(
    {
      fs,
      clock: new ManualClock(),
      dir,
      topicPartition: { topic: 't', partition: 0 },
      config: logConfig({ indexIntervalBytes: 1 }),
    },
    { hadCleanShutdown: false, recoveryPoint: 0n },
  )
  await log.append(
    buildBatch(
      [
        { key: 'k0', value: 'v0', timestamp: 1000, headers: [{ key: 'h', value: Buffer.from('x') }] },
        { key: null, value: 'v1', timestamp: 1001 },
      ],
      { timestamp: 1000 },
    ),
    { leaderEpoch: 0 },
  )
  await log.append(
    buildBatch([{ key: 'k2', value: 'v2', timestamp: 1005 }], { timestamp: 1005, compression: 1 }),
    {
      leaderEpoch: 0,
    },
  )
  await log.close()

  // A __consumer_offsets-like segment: one offset commit and its tombstone.
  const offsetsDir = join(root, '__consumer_offsets-0')
  await fs.mkdir(offsetsDir)
  const versioned = (version: number, body: Buffer) => {
    const b = Buffer.alloc(2 + body.length)
    b.writeInt16BE(version)
    body.copy(b, 2)
    return b
  }
  const key = versioned(1, encodeMessage(offsetCommitKeyCodec, { group: 'g', topic: 't', partition: 0 }, 1))
  const value = versioned(
    3,
    encodeMessage(
      offsetCommitValueCodec,
      { offset: 5n, leaderEpoch: 0, metadata: '', commitTimestamp: 1700000000000n, expireTimestamp: -1n },
      3,
    ),
  )
  const offsets = await Log.open(
    {
      fs,
      clock: new ManualClock(),
      dir: offsetsDir,
      topicPartition: { topic: '__consumer_offsets', partition: 0 },
      config: logConfig({}),
    },
    { hadCleanShutdown: false, recoveryPoint: 0n },
  )
  await offsets.append(
    buildBatch(
      [
        { key, value, timestamp: 1000 },
        { key, value: null, timestamp: 1001 },
      ],
      { timestamp: 1000 },
    ),
  )
  await offsets.close()
})

after(() => rmSync(root, { recursive: true, force: true }))

describe('kafka-dump-log.sh', () => {
  it("prints batches of a .log segment in Kafka's format", async () => {
    const file = join(dir, '00000000000000000000.log')
    const { code, out, err } = await dump('--files', file)
    assert.equal(code, 0)
    assert.equal(err, '')
    const lines = out.trimEnd().split('\n')
    assert.equal(lines[0], `Dumping ${file}`)
    assert.equal(lines[1], 'Log starting offset: 0')
    assert.match(
      lines[2],
      /^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1001 size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/,
    )
    const size = Number(/size: (\d+)/.exec(lines[2])![1])
    assert.match(
      lines[3],
      new RegExp(
        `^baseOffset: 2 lastOffset: 2 count: 1 .* position: ${size} CreateTime: 1005 .* compresscodec: gzip .* isvalid: true$`,
      ),
    )
    assert.equal(lines.length, 4)
  })

  it('prints records with --print-data-log', async () => {
    const file = join(dir, '00000000000000000000.log')
    const { out } = await dump('--files', file, '--print-data-log')
    const records = out.split('\n').filter((l) => l.startsWith('|'))
    assert.deepEqual(records, [
      '| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [h] key: k0 payload: v0',
      '| offset: 1 CreateTime: 1001 keySize: -1 valueSize: 2 sequence: -1 headerKeys: [] payload: v1',
      '| offset: 2 CreateTime: 1005 keySize: 2 valueSize: 2 sequence: -1 headerKeys: [] key: k2 payload: v2',
    ])
  })

  it('prints the offset and time indexes', async () => {
    const index = join(dir, '00000000000000000000.index')
    const timeindex = join(dir, '00000000000000000000.timeindex')
    const { code, out, err } = await dump('--files', `${index},${timeindex}`)
    assert.equal(code, 0)
    assert.equal(err, '')
    const lines = out.trimEnd().split('\n')
    assert.equal(lines[0], `Dumping ${index}`)
    // Kafka indexes a batch once more than index.interval.bytes were written since the last entry,
    // so the first batch of a segment has none.
    assert.match(lines[1], /^offset: 2 position: \d+$/)
    assert.equal(lines[2], `Dumping ${timeindex}`)
    assert.equal(lines[3], 'timestamp: 1005 offset: 2')
    assert.equal(lines.length, 4)
    const sanity = await dump('--files', index, '--index-sanity-check')
    assert.ok(sanity.out.includes(`${index} passed sanity check.`))
  })

  it('reports trailing garbage, unknown files and missing files', async () => {
    const copy = join(root, '00000000000000000000.log')
    const files = readdirSync(dir)
    assert.ok(files.includes('00000000000000000000.log'))
    const { readFileSync } = await import('node:fs')
    writeFileSync(
      copy,
      Buffer.concat([readFileSync(join(dir, '00000000000000000000.log')), Buffer.from([1, 2, 3])]),
    )
    const garbage = await dump('--files', copy)
    assert.ok(garbage.out.includes('Found 3 invalid bytes at the end of 00000000000000000000.log'))
    const unknown = await dump('--files', join(dir, 'partition.metadata'))
    assert.ok(unknown.err.includes('Ignoring unknown file'))
    const missing = await dump('--files', join(root, '00000000000000000099.log'))
    assert.equal(missing.code, 1)
    assert.match(missing.err, /No such file or directory/)
  })

  it('decodes __consumer_offsets records with --offsets-decoder', async () => {
    const file = join(root, '__consumer_offsets-0', '00000000000000000000.log')
    const { code, out } = await dump('--files', file, '--offsets-decoder', '--skip-record-metadata')
    assert.equal(code, 0)
    assert.deepEqual(
      out.split('\n').filter((l) => l.startsWith('|')),
      [
        '| key: {"type":"1","data":{"group":"g","topic":"t","partition":0}} payload: {"version":"3","data":{"offset":5,"leaderEpoch":0,"metadata":"","commitTimestamp":1700000000000}}',
        '| key: {"type":"1","data":{"group":"g","topic":"t","partition":0}} payload: <DELETE>',
      ],
    )
  })

  it('needs --files', async () => {
    const { code, err } = await dump('--print-data-log')
    assert.equal(code, 1)
    assert.ok(err.startsWith('Missing required argument "[files]"\nOption'))
  })
})
