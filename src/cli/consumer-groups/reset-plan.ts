// The pure parts of --reset-offsets and --delete-offsets: reading --to-datetime, --by-duration,
// --from-file and `topic:0,1,2` arguments, and keeping requested offsets inside the log, as Kafka's
// ConsumerGroupCommand does.

export interface TopicPartitionRef {
  topic: string
  partition: number
}

/**
 * Kafka's Utils.getDateTime: `yyyy-MM-ddTHH:mm:ss.SSS` with an optional zone (`Z`, `+01`, `+01:00`);
 * without a zone the time is UTC. Returns epoch milliseconds.
 */
export function parseDateTime(text: string): number {
  const parts = text.split('T')
  if (parts.length < 2) {
    throw new Error("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format")
  }
  const zoned = /[+\-Z]/.test(parts[1]) ? text : `${text}Z`
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(zoned)
  if (m === null) throw new Error(`java.text.ParseException: Unparseable date: "${zoned}"`)
  const [, y, mo, d, h, mi, s, ms, zone] = m
  const fields = [Number(mo), Number(d), Number(h), Number(mi), Number(s)]
  if (
    fields[0] < 1 ||
    fields[0] > 12 ||
    fields[1] < 1 ||
    fields[1] > 31 ||
    fields[2] > 23 ||
    fields[3] > 59 ||
    fields[4] > 59
  ) {
    throw new Error(`java.text.ParseException: Unparseable date: "${zoned}"`)
  }
  const utc = Date.UTC(Number(y), fields[0] - 1, fields[1], fields[2], fields[3], fields[4], Number(ms))
  if (new Date(utc).getUTCDate() !== fields[1])
    throw new Error(`java.text.ParseException: Unparseable date: "${zoned}"`)
  if (zone === 'Z') return utc
  const sign = zone[0] === '-' ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')
  return utc - sign * offsetMin * 60000
}

/** java.time.Duration.parse (`PnDTnHnMn.nS`, signs allowed) in milliseconds. */
export function parseDuration(text: string): number {
  const m =
    /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(
      text,
    )
  if (m === null || text.toUpperCase().endsWith('T') || (m[2] ?? m[3] ?? m[4] ?? m[5]) === undefined) {
    throw new Error(`java.time.format.DateTimeParseException: Text cannot be parsed to a Duration`)
  }
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s))
  const secs = n(m[5])
  const frac =
    m[6] === undefined || m[6] === '' ? 0 : Number(`0.${m[6]}`) * (secs < 0 || m[5]?.startsWith('-') ? -1 : 1)
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60000 + (secs + frac) * 1000
  return m[1] === '-' ? -ms : ms
}

/** `topic:0,1,2` → its partitions; errors worded as Kafka's. */
export function parseTopicPartitions(arg: string): TopicPartitionRef[] {
  const parts = arg.split(':')
  if (parts.length !== 2)
    throw new IllegalArgument(`Invalid topic arg '${arg}', expected topic name and partitions`)
  const [topic, partitions] = parts
  return partitions.split(',').map((p) => {
    if (!/^[+-]?\d+$/.test(p)) {
      throw new IllegalArgument(`Invalid partition '${p}' specified in topic arg '${arg}''`)
    }
    return { topic, partition: Number(p) }
  })
}

/** An error Kafka reports with the usage text (IllegalArgumentException in ConsumerGroupCommand). */
export class IllegalArgument extends Error {}

export interface CsvPlanEntry extends TopicPartitionRef {
  group: string | null
  offset: bigint
}

/**
 * A reset plan file: lines `topic,partition,offset` (for one --group) or
 * `group,topic,partition,offset`.
 */
export function parseResetCsv(text: string, singleGroup: string | null): CsvPlanEntry[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const out: CsvPlanEntry[] = []
  const threeColumns = lines.length > 0 && lines[0].split(',').length === 3
  for (const line of lines) {
    const cols = line.split(',')
    if (singleGroup !== null && threeColumns && cols.length === 3) {
      out.push({ group: singleGroup, topic: cols[0], partition: Number(cols[1]), offset: BigInt(cols[2]) })
    } else if (cols.length === 4 && /^\d+$/.test(cols[2]) && /^-?\d+$/.test(cols[3])) {
      out.push({ group: cols[0], topic: cols[1], partition: Number(cols[2]), offset: BigInt(cols[3]) })
    } else {
      throw new Error(
        `Invalid reset plan line '${line}': expected topic,partition,offset or group,topic,partition,offset`,
      )
    }
  }
  return out
}

/** The CSV --export writes: `topic,partition,offset` lines for one group, else with the group first. */
export function exportCsv(rows: readonly (CsvPlanEntry & { group: string })[], singleGroup: boolean): string {
  return rows
    .map((r) =>
      singleGroup
        ? `${r.topic},${r.partition},${r.offset}\n`
        : `${r.group},${r.topic},${r.partition},${r.offset}\n`,
    )
    .join('')
}

/**
 * Kafka's checkOffsetsRange: an offset past the log end becomes the log end, one before the log
 * start becomes the log start (each with a warning).
 */
export function clampOffset(
  tp: TopicPartitionRef,
  offset: bigint,
  start: bigint | null,
  end: bigint | null,
  warn: (message: string) => void,
): bigint {
  if (end !== null && offset > end) {
    warn(
      `New offset (${offset}) is higher than latest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${end}`,
    )
    return end
  }
  if (start !== null && offset < start) {
    warn(
      `New offset (${offset}) is lower than earliest offset for topic partition ${tp.topic}-${tp.partition}. Value will be set to ${start}`,
    )
    return start
  }
  return offset
}
