import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { lineReaderConfig, parseLine } from '../../../src/cli/console/line-reader.ts'
import {
  type ConsoleRecord,
  formatRecord,
  formatterConfig,
} from '../../../src/cli/console/message-formatter.ts'

const props = (o: Record<string, string>) => new Map(Object.entries(o))

describe('console producer line reader', () => {
  it('reads plain lines as values', () => {
    assert.deepEqual(parseLine(lineReaderConfig(props({})), 'hello\tworld', 1), {
      key: null,
      value: 'hello\tworld',
      headers: [],
    })
  })

  it('splits key and value at the first key.separator', () => {
    const c = lineReaderConfig(props({ 'parse.key': 'true', 'key.separator': ':' }))
    assert.deepEqual(parseLine(c, 'k1:v:1', 1), { key: 'k1', value: 'v:1', headers: [] })
    assert.deepEqual(parseLine(c, ':v', 1), { key: '', value: 'v', headers: [] })
  })

  it('reads headers, key and value, and null markers', () => {
    const c = lineReaderConfig(props({ 'parse.key': 'true', 'parse.headers': 'true', 'null.marker': 'NULL' }))
    assert.deepEqual(parseLine(c, 'h1:v1,h2:NULL\tNULL\tvalue', 1), {
      key: null,
      value: 'value',
      headers: [
        ['h1', 'v1'],
        ['h2', null],
      ],
    })
  })

  it('fails as Kafka does on a missing separator, unless ignore.error', () => {
    const c = lineReaderConfig(props({ 'parse.key': 'true' }))
    assert.throws(
      () => parseLine(c, 'no-separator', 3),
      /^KafkaException: No key separator found on line number 3: 'no-separator'$/,
    )
    const lenient = lineReaderConfig(props({ 'parse.key': 'true', 'ignore.error': 'true' }))
    assert.deepEqual(parseLine(lenient, 'no-separator', 3), { key: null, value: 'no-separator', headers: [] })
  })

  it('refuses separators that clash', () => {
    assert.throws(
      () => lineReaderConfig(props({ 'headers.delimiter': ',' })),
      /headers.delimiter and headers.separator may not be equal/,
    )
    assert.throws(
      () => lineReaderConfig(props({ 'null.marker': '\t' })),
      /null.marker and key.separator may not be equal/,
    )
  })
})

const record = (over: Partial<ConsoleRecord> = {}): ConsoleRecord => ({
  topic: 't',
  partition: 2,
  offset: 42n,
  timestamp: 1700000000000n,
  timestampType: 'CreateTime',
  leaderEpoch: 0,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
  ...over,
})

describe('console consumer message formatter', () => {
  const fmt = (p: Record<string, string>, r: ConsoleRecord = record()) =>
    formatRecord(formatterConfig(props(p)), r).toString()

  it('prints the value alone by default', () => {
    assert.equal(fmt({}), 'v\n')
  })

  it('prints the fields in Kafka order, tab separated', () => {
    assert.equal(
      fmt({
        'print.timestamp': 'true',
        'print.partition': 'true',
        'print.offset': 'true',
        'print.headers': 'true',
        'print.key': 'true',
      }),
      'CreateTime:1700000000000\tPartition:2\tOffset:42\tNO_HEADERS\tk\tv\n',
    )
  })

  it('prints headers, nulls and custom separators', () => {
    const r = record({
      key: null,
      value: null,
      headers: [
        ['a', Buffer.from('1')],
        ['b', null],
      ],
    })
    assert.equal(
      fmt({ 'print.headers': 'true', 'print.key': 'true', 'key.separator': ' | ' }, r),
      'a:1,b:null | null | null\n',
    )
    assert.equal(fmt({ 'print.key': 'true', 'print.value': 'false', 'null.literal': '-' }, r), '-\n')
  })

  it('applies the standard deserializers', () => {
    const v = Buffer.alloc(8)
    v.writeBigInt64BE(7n)
    assert.equal(
      fmt(
        { 'value.deserializer': 'org.apache.kafka.common.serialization.LongDeserializer' },
        record({ value: v }),
      ),
      '7\n',
    )
    const warnings: string[] = []
    formatterConfig(props({ 'key.deserializer': 'com.example.Nope' }), (m) => warnings.push(m))
    assert.deepEqual(warnings, ['Unable to instantiate a deserializer from com.example.Nope'])
  })
})
