// kafka-console-consumer.sh: prints records from a topic (or topics matching --include) until
// --max-messages, --timeout-ms of silence, or Ctrl-C, then `Processed a total of N messages` on
// standard error, as Kafka's ConsoleConsumer.
//
// Two ways to read, as in Kafka:
// - --partition (no group): the partition is read directly with Fetch requests from --offset
//   (earliest, latest or a number); nothing is committed.
// - otherwise: a consumer group member (--group, or a random console-consumer-NNNNN group that
//   commits nothing) subscribed to the topics; with auto commit, the offsets of the records actually
//   printed are committed every auto.commit.interval.ms and at the end, so a later
//   `kafka-consumer-groups.sh --describe` shows exactly what was consumed.
//
// Known difference: in group mode the client does not tell LogAppendTime batches apart, so
// print.timestamp shows CreateTime for them.

import type { Consumer, MessagesStream } from '@platformatic/kafka'
import { ToolExit } from '../common/exit.ts'
import { IncludeList } from '../common/include-list.ts'
import type { Io } from '../common/io.ts'
import { clientOptions, closeQuietly, ensureReachable, errorMessage, loadKafka } from '../common/kafka.ts'
import { type ConsumerSettings, consumerSettings } from './consumer-options.ts'
import { type ConsoleRecord, formatRecord } from './message-formatter.ts'

const ATTR_LOG_APPEND_TIME = 0x08
const ATTR_CONTROL = 0x20
const OFFSET_OUT_OF_RANGE = 1
const FETCH_MAX_WAIT_MS = 500

/** Counts, prints, and decides when to stop. */
class Session {
  count = 0
  stopped = false
  timedOut = false
  private timer: NodeJS.Timeout | undefined
  private readonly wake: (() => void)[] = []
  private readonly s: ConsumerSettings
  private readonly io: Io

  constructor(s: ConsumerSettings, io: Io) {
    this.s = s
    this.io = io
    this.armTimer()
  }

  private armTimer(): void {
    clearTimeout(this.timer)
    if (Number.isFinite(this.s.timeoutMs)) {
      this.timer = setTimeout(() => {
        this.timedOut = true
        this.stop()
      }, this.s.timeoutMs)
    }
  }

  /** Prints one record; false once the tool should stop. */
  emit(r: ConsoleRecord): boolean {
    if (this.stopped) return false
    this.count++
    try {
      this.io.out(formatRecord(this.s.formatter, r))
    } catch (e) {
      if (!this.s.skipMessageOnError) throw e
      this.io.err(`ERROR Error processing message, skipping this message: ${(e as Error).message}\n`)
    }
    this.armTimer()
    if (this.s.maxMessages !== -1 && this.count >= this.s.maxMessages) this.stop()
    return !this.stopped
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.timer)
    for (const w of this.wake.splice(0)) w()
  }

  /** Resolves when stop() is called. */
  stoppedPromise(): Promise<void> {
    return this.stopped ? Promise.resolve() : new Promise((r) => this.wake.push(r))
  }
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const s = consumerSettings(argv, io.cwd, (m) => io.err(`ERROR ${m}\n`))
  await ensureReachable(s.bootstrap)
  const k = await loadKafka()
  const consumer: Consumer = new k.Consumer({
    ...clientOptions('console-consumer', s.bootstrap, s.clientProps),
    groupId: s.groupId,
    autocommit: false,
    maxWaitTime: FETCH_MAX_WAIT_MS,
    isolationLevel: s.readCommitted ? 1 : 0,
    sessionTimeout: Number(s.clientProps.get('session.timeout.ms') ?? 45000),
    heartbeatInterval: Number(s.clientProps.get('heartbeat.interval.ms') ?? 3000),
    rebalanceTimeout: Number(s.clientProps.get('max.poll.interval.ms') ?? 300000),
  })
  const session = new Session(s, io)
  const stop = () => session.stop()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  let code = 0
  try {
    if (s.partition !== null) await readPartition(consumer, s, session)
    else await readAsGroupMember(consumer, s, session, io)
  } catch (e) {
    if (e instanceof ToolExit) throw e
    io.err(`ERROR Error processing message, terminating consumer process: ${errorMessage(e)}\n`)
    code = 1
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
    session.stop()
    await closeQuietly(consumer)
  }
  if (session.timedOut) {
    io.err(
      'ERROR Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException\n',
    )
  }
  if (s.systestEvents) io.out('shutdown_complete\n')
  io.err(`Processed a total of ${session.count} messages\n`)
  return code
}

/** Assign mode: Fetch requests for one partition, from the requested offset. */
async function readPartition(consumer: Consumer, s: ConsumerSettings, session: Session): Promise<void> {
  const topic = s.topic!
  const partition = s.partition!
  consumer.topics.trackAll(topic)
  const metadata = await consumer.metadata({ topics: [topic] })
  const info = metadata.topics.get(topic)
  if (info === undefined) throw new Error(`Unknown topic ${topic}.`)
  if (partition < 0 || partition >= info.partitionsCount) {
    throw new Error(
      `Partition ${topic}-${partition} does not exist (the topic has ${info.partitionsCount} partitions)`,
    )
  }
  const listOffset = async (which: 'earliest' | 'latest'): Promise<bigint> => {
    const offsets = await consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: [partition] },
      timestamp: which === 'earliest' ? -2n : -1n,
    })
    return offsets.get(topic)?.[partition] ?? 0n
  }
  let position = typeof s.offset === 'bigint' ? s.offset : await listOffset(s.offset)
  const stopped = session.stoppedPromise()
  while (!session.stopped) {
    const leader =
      (await consumer.metadata({ topics: [topic] })).topics.get(topic)?.partitions[partition]?.leader ?? -1
    const fetch = consumer.fetch({
      node: leader,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      topics: [
        {
          topicId: info.id,
          partitions: [
            {
              partition,
              fetchOffset: position,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1 << 20,
            },
          ],
        },
      ],
    })
    const response = await Promise.race([fetch, stopped.then(() => null)])
    if (response === null) {
      fetch.catch(() => {})
      break
    }
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          if (s.autoOffsetReset === 'none')
            throw new Error(`Offset ${position} is out of range for ${topic}-${partition}`)
          position = await listOffset(s.autoOffsetReset)
          continue
        }
        for (const batch of p.records ?? []) {
          const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
          if ((batch.attributes & ATTR_CONTROL) === 0) {
            const logAppend = (batch.attributes & ATTR_LOG_APPEND_TIME) !== 0
            for (const r of batch.records) {
              const offset = batch.firstOffset + BigInt(r.offsetDelta)
              if (offset < position) continue
              position = offset + 1n
              const record: ConsoleRecord = {
                topic,
                partition,
                offset,
                timestamp: logAppend ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta,
                timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
                leaderEpoch: batch.partitionLeaderEpoch,
                key: r.key,
                value: r.value,
                headers: r.headers.map(([hk, hv]) => [hk?.toString('utf8') ?? '', hv]),
              }
              if (!session.emit(record)) return
            }
          }
          if (last >= position) position = last + 1n
        }
      }
    }
  }
}

/** Group mode: join the group, read what it assigns, commit what was printed. */
async function readAsGroupMember(
  consumer: Consumer,
  s: ConsumerSettings,
  session: Session,
  io: Io,
): Promise<void> {
  let topics: string[]
  if (s.topic !== null) {
    topics = [s.topic]
  } else {
    const k = await loadKafka()
    const admin = new k.Admin(clientOptions('console-consumer-admin', s.bootstrap, s.clientProps))
    try {
      const filter = new IncludeList(s.include!)
      topics = (await admin.listTopics()).filter((t) => filter.matches(t)).sort()
    } finally {
      await closeQuietly(admin)
    }
    if (topics.length === 0) {
      io.err(`WARN No topics match --include ${s.include}; waiting for messages\n`)
      await session.stoppedPromise()
      return
    }
  }
  const consumed = new Map<
    string,
    { topic: string; partition: number; offset: bigint; leaderEpoch: number }
  >()
  let committed = new Map<string, bigint>()
  const commit = async () => {
    const offsets = [...consumed.values()].filter(
      (c) => committed.get(`${c.topic}:${c.partition}`) !== c.offset,
    )
    if (offsets.length === 0) return
    await consumer.commit({ offsets })
    committed = new Map([...consumed].map(([key, c]) => [key, c.offset]))
  }
  const stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> = await consumer.consume({
    topics,
    autocommit: false,
    mode: 'committed',
    fallbackMode: s.autoOffsetReset === 'none' ? 'fail' : s.autoOffsetReset,
    maxWaitTime: FETCH_MAX_WAIT_MS,
    isolationLevel: s.readCommitted ? 1 : 0,
  })
  const ticker = s.autoCommit
    ? setInterval(() => commit().catch(() => {}), s.autoCommitIntervalMs)
    : undefined
  const stopped = session.stoppedPromise()
  const iterator = stream[Symbol.asyncIterator]()
  try {
    while (!session.stopped) {
      const next = await Promise.race([iterator.next(), stopped.then(() => null)])
      if (next === null || next.done === true) break
      const m = next.value
      const record: ConsoleRecord = {
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        timestamp: m.timestamp,
        timestampType: 'CreateTime',
        leaderEpoch: m.leaderEpoch,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headerEntries.map(([hk, hv]) => [hk.toString('utf8'), hv ?? null]),
      }
      consumed.set(`${m.topic}:${m.partition}`, {
        topic: m.topic,
        partition: m.partition,
        offset: m.offset + 1n,
        leaderEpoch: m.leaderEpoch,
      })
      if (!session.emit(record)) break
    }
  } finally {
    clearInterval(ticker)
    if (s.autoCommit)
      await commit().catch((e) => io.err(`ERROR Failed to commit offsets: ${errorMessage(e)}\n`))
    await closeQuietly(stream)
  }
}
