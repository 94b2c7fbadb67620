// How kafka-console-consumer.sh prints a record (Kafka's DefaultMessageFormatter). Fields, each
// only when its print.* property is true, in this order and separated by key.separator (a tab):
//
//   CreateTime:1700000000000   Partition:0   Offset:42   Epoch:0   h1:v1,h2:v2   key   value
//
// then line.separator. print.value is on by default, everything else off. A null key, value or
// header value prints as null.literal ("null"); no headers prints NO_HEADERS. key.deserializer /
// value.deserializer / headers.deserializer name Kafka's standard deserializer classes (String,
// ByteArray, Integer, Long, ...), which turn the bytes into text the way Java's toString would.

import { isTrue } from '../common/props.ts'

export interface ConsoleRecord {
  topic: string
  partition: number
  offset: bigint
  timestamp: bigint
  timestampType: 'CreateTime' | 'LogAppendTime' | 'NoTimestampType'
  leaderEpoch: number | null
  key: Buffer | null
  value: Buffer | null
  headers: [string, Buffer | null][]
}

export type Deserializer = (data: Buffer) => string

const SERIALIZATION = 'org.apache.kafka.common.serialization.'

function fixedSize(name: string, size: number, read: (b: Buffer) => string): Deserializer {
  return (b) => {
    if (b.length !== size) throw new Error(`Size of data received by ${name} is not ${size}`)
    return read(b)
  }
}

/** Java's Double.toString for the values Kafka's DoubleDeserializer returns. */
function javaDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN'
  if (!Number.isFinite(d)) return d > 0 ? 'Infinity' : '-Infinity'
  if (Number.isInteger(d) && Math.abs(d) < 1e7) return `${d}.0`
  return String(d)
}

const DESERIALIZERS: Record<string, Deserializer> = {
  StringDeserializer: (b) => b.toString('utf8'),
  ByteArrayDeserializer: (b) => b.toString('utf8'),
  ByteBufferDeserializer: (b) => b.toString('utf8'),
  BytesDeserializer: (b) => b.toString('utf8'),
  VoidDeserializer: () => 'null',
  IntegerDeserializer: fixedSize('IntegerDeserializer', 4, (b) => String(b.readInt32BE())),
  LongDeserializer: fixedSize('LongDeserializer', 8, (b) => String(b.readBigInt64BE())),
  ShortDeserializer: fixedSize('ShortDeserializer', 2, (b) => String(b.readInt16BE())),
  DoubleDeserializer: fixedSize('DoubleDeserializer', 8, (b) => javaDouble(b.readDoubleBE())),
  FloatDeserializer: fixedSize('FloatDeserializer', 4, (b) => javaDouble(b.readFloatBE())),
  UUIDDeserializer: (b) => b.toString('utf8'),
}

/** A Kafka deserializer class name as a function; null (with a reason) for classes not available here. */
export function deserializerFor(className: string): Deserializer | null {
  const short = className.startsWith(SERIALIZATION) ? className.slice(SERIALIZATION.length) : className
  return Object.hasOwn(DESERIALIZERS, short) ? DESERIALIZERS[short] : null
}

export interface FormatterConfig {
  printTimestamp: boolean
  printKey: boolean
  printValue: boolean
  printPartition: boolean
  printOffset: boolean
  printEpoch: boolean
  printHeaders: boolean
  keySeparator: Buffer
  lineSeparator: Buffer
  headersSeparator: Buffer
  nullLiteral: Buffer
  keyDeserializer: Deserializer | null
  valueDeserializer: Deserializer | null
  headersDeserializer: Deserializer | null
}

/** The formatter's settings from --property/--formatter-config; `warn` hears about unknown classes. */
export function formatterConfig(
  props: ReadonlyMap<string, string>,
  warn: (message: string) => void = () => {},
): FormatterConfig {
  const bool = (k: string, d: boolean) => (props.has(k) ? isTrue(props.get(k)) : d)
  const bytes = (k: string, d: string) => Buffer.from(props.get(k) ?? d, 'utf8')
  const des = (k: string): Deserializer | null => {
    const name = props.get(k)
    if (name === undefined) return null
    const d = deserializerFor(name)
    if (d === null) warn(`Unable to instantiate a deserializer from ${name}`)
    return d
  }
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printValue: bool('print.value', true),
    printPartition: bool('print.partition', false),
    printOffset: bool('print.offset', false),
    printEpoch: bool('print.epoch', false),
    printHeaders: bool('print.headers', false),
    keySeparator: bytes('key.separator', '\t'),
    lineSeparator: bytes('line.separator', '\n'),
    headersSeparator: bytes('headers.separator', ','),
    nullLiteral: bytes('null.literal', 'null'),
    keyDeserializer: des('key.deserializer'),
    valueDeserializer: des('value.deserializer'),
    headersDeserializer: des('headers.deserializer'),
  }
}

/** The bytes printed for one record. */
export function formatRecord(c: FormatterConfig, r: ConsoleRecord): Buffer {
  const parts: Buffer[] = []
  const text = (s: string) => parts.push(Buffer.from(s, 'utf8'))
  const field = (data: Buffer | null, d: Deserializer | null) => {
    const bytes = data ?? c.nullLiteral
    parts.push(d === null ? bytes : Buffer.from(d(bytes), 'utf8'))
  }
  // After each printed field: the column separator if any later field is printed, else the line
  // separator (Kafka's writeSeparator).
  const sep = (more: boolean) => parts.push(more ? c.keySeparator : c.lineSeparator)

  if (c.printTimestamp) {
    text(r.timestampType === 'NoTimestampType' ? 'NO_TIMESTAMP' : `${r.timestampType}:${r.timestamp}`)
    sep(c.printPartition || c.printOffset || c.printEpoch || c.printHeaders || c.printKey || c.printValue)
  }
  if (c.printPartition) {
    text(`Partition:${r.partition}`)
    sep(c.printOffset || c.printEpoch || c.printHeaders || c.printKey || c.printValue)
  }
  if (c.printOffset) {
    text(`Offset:${r.offset}`)
    sep(c.printEpoch || c.printHeaders || c.printKey || c.printValue)
  }
  if (c.printEpoch) {
    text(`Epoch:${r.leaderEpoch === null || r.leaderEpoch < 0 ? 'NOT_PRESENT' : r.leaderEpoch}`)
    sep(c.printHeaders || c.printKey || c.printValue)
  }
  if (c.printHeaders) {
    if (r.headers.length === 0) text('NO_HEADERS')
    r.headers.forEach(([k, v], i) => {
      text(`${k}:`)
      field(v, c.headersDeserializer)
      if (i < r.headers.length - 1) parts.push(c.headersSeparator)
    })
    sep(c.printKey || c.printValue)
  }
  if (c.printKey) {
    field(r.key, c.keyDeserializer)
    sep(c.printValue)
  }
  if (c.printValue) {
    field(r.value, c.valueDeserializer)
    parts.push(c.lineSeparator)
  }
  return Buffer.concat(parts)
}
