// npm run bench -- disk [--dir D] [--mib M] [--rounds N] [--producers K] [--segment-mib S] [--retention-mib R]
//
// Issue 17's disk scenario: the broker producing to a log dir on a real disk, against the physical
// limit measured in the same run — raw sequential writes of the same number of bytes to the same
// filesystem, in files of the segment size with an fdatasync per file (scenarios/raw-write.ts).
// Everything is timed until the bytes are on the disk:
// - broker: K (4) kperf producers at once (-p -1, 1 KiB records, acks=1 and librdkafka's other
//   defaults) send M MiB in all to a fresh 1-partition topic; then the topic's segment files are
//   fdatasync'ed (Kafka's default flush policy never fsyncs on produce, only each rolled segment,
//   in the background, so without this the figure would be the page cache's). Both the
//   acknowledged rate and the rate until on disk are printed, with what the block device wrote
//   meanwhile and how long it was busy.
// - raw O_DIRECT: the disk's own limit (no page cache). The ratio to it is the headline.
// - raw buffered: through the page cache like the broker, its time split into the copy into the
//   page cache and the fdatasyncs. On this VM that copy is fast or slow depending on whether the
//   host still backs the pages it lands in (see raw-write.ts); a writer with one 1 MiB buffer
//   gets fast pages, the broker under load mostly slow ones (why is not pinned down:
//   docs/performance.md "Disk") — its profile is then ~80 % that copy.
// - the same produce to a second broker whose log dir is on /dev/shm (tmpfs), in the same round: on
//   a 2-core machine kperf and the broker are CPU-bound well below a fast disk, so this says how
//   much of the gap is the disk's and how much the CPU's.
// Steady state by default (issue 17): 64 MiB segments, retention.bytes 256 MiB checked every 200 ms,
// the raw writers deleting their oldest file beyond it too, so memory is recycled as in a
// long-running broker; every byte still reaches the disk (each file or segment is fsynced when
// full). --retention-mib 0 keeps every byte until the run ends instead.
// The four alternate (order flipped every round); everything is deleted after each run.
// Default dir /var/tmp: `df -T` is printed so the figure says which filesystem it measured.

import { execFileSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import { benchArgs } from './scenarios/args.ts'
import { kperfProduce, requireKperf } from './scenarios/kperf.ts'
import { type Child, startBroker } from './scenarios/processes.ts'
import { diskWrites, type RawRun, rawBuffered, rawDirect, reportedKib } from './scenarios/raw-write.ts'
import { machineLine, median } from './scenarios/report.ts'
import { createTopic, deleteTopic, WireConnection } from './scenarios/wire.ts'

const args = benchArgs(
  process.argv.slice(2).filter((a) => a !== 'disk'),
  {
    dir: { type: 'string', default: '/var/tmp' },
    mib: { type: 'string', default: '2048' },
    rounds: { type: 'string', default: '2' },
    producers: { type: 'string', default: '4' },
    'segment-mib': { type: 'string', default: '64' },
    'retention-mib': { type: 'string', default: '256' },
  },
  new URL(import.meta.url),
)
const MIB = 1_048_576
const TOTAL_MIB = Number(args.mib)
const ROUNDS = Number(args.rounds)
const PRODUCERS = Number(args.producers)
/** 0: no retention, every byte of the run stays on disk until it ends. */
const RETENTION_MIB = Number(args['retention-mib'])
const log = (s: string) => process.stderr.write(`[disk] ${s}\n`)

/** fdatasync of every segment file of the topic's partition directories under the log dir; seconds. */
function syncTopic(logDir: string, topic: string): { secs: number; files: number; bytes: number } {
  const t0 = performance.now()
  let files = 0
  let bytes = 0
  for (const d of readdirSync(logDir).filter((n) => n.startsWith(`${topic}-`))) {
    // Segment data only (the records); index and snapshot files come and go meanwhile.
    for (const f of readdirSync(join(logDir, d)).filter((n) => n.endsWith('.log'))) {
      const fd = openSync(join(logDir, d, f), 'r')
      try {
        fdatasyncSync(fd)
        files++
        bytes += fstatSync(fd).size
      } finally {
        closeSync(fd)
      }
    }
  }
  return { secs: (performance.now() - t0) / 1000, files, bytes }
}

async function main(): Promise<void> {
  requireKperf()
  const dir = mkdtempSync(join(args.dir as string, 'samsa-disk-'))
  const df = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n').pop() ?? ''
  const [device, fsType] = df.split(/\s+/)
  const blockDev = device.replace(/^\/dev\//, '')
  log(`log dir ${dir} on ${device} (${fsType})`)
  if (fsType === 'tmpfs') log('warning: that is tmpfs, not a disk')
  const perProducer = Math.floor((TOTAL_MIB * MIB) / 1024 / PRODUCERS)
  const bytes = perProducer * PRODUCERS * 1024
  const segmentBytes = Number(args['segment-mib']) * MIB
  const retentionBytes = RETENTION_MIB * MIB
  const direct: number[] = []
  const buffered: number[] = []
  const bufCache: number[] = []
  const bufSync: number[] = []
  const acked: number[] = []
  const onDisk: number[] = []
  const tmpfs: number[] = []
  let settings = ''
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/samsa-disk-') : null
  const brokers: Child[] = []
  /** What the block device wrote and the memory handed back to the host since `t0`, as a note. */
  const counters = () => {
    const d0 = diskWrites(blockDev)
    const r0 = reportedKib()
    const t0 = performance.now()
    return () => {
      const d1 = diskWrites(blockDev)
      const r1 = reportedKib()
      const secs = (performance.now() - t0) / 1000
      // Under retention a segment deleted before its roll fsync never reaches the disk: less work.
      const short = d0 !== null && d1 !== null && d1.mib - d0.mib < (0.95 * bytes) / MIB
      const disk =
        d0 === null || d1 === null
          ? ''
          : `; ${blockDev} wrote ${(d1.mib - d0.mib).toFixed(0)} MiB${short ? ' (LESS than the run: not all on disk)' : ''}, busy ${((d1.busyMs - d0.busyMs) / 1000).toFixed(1)} of ${secs.toFixed(1)} s`
      const mem =
        r0 === null || r1 === null ? '' : `; ${((r1 - r0) / 1024).toFixed(0)} MiB went back to the host`
      return disk + mem
    }
  }
  // Retention checked often, so the broker deletes as promptly as the raw writers (as run.ts does).
  const config = { 'log.retention.check.interval.ms': 200 }
  try {
    const onDiskBroker = await startBroker({ dir: join(dir, 'broker'), config })
    brokers.push(onDiskBroker)
    const shmBroker = shm === null ? null : await startBroker({ dir: shm, config })
    if (shmBroker !== null) brokers.push(shmBroker)
    let runs = 0
    /** One produce run of `bytes` to a fresh topic on `b`; MiB/s acknowledged and until synced. */
    const produce = async (b: Child, logDir: string) => {
      const admin = await WireConnection.open(b.host, b.port)
      const topic = `disk${++runs}`
      try {
        await createTopic(admin, topic, 1, {
          'segment.bytes': segmentBytes,
          ...(retentionBytes > 0 ? { 'retention.bytes': retentionBytes } : {}),
        })
        const note = counters()
        const t0 = performance.now()
        const run = await kperfProduce({
          bootstrap: `${b.host}:${b.port}`,
          topic,
          producers: PRODUCERS,
          partition: -1,
          recordBytes: 1024,
          recordsPerProducer: perProducer,
          label: 'disk',
        })
        const ackedSecs = (performance.now() - t0) / 1000
        const synced = syncTopic(logDir, topic)
        settings = run.settings
        if (run.bytes !== bytes)
          log(`${topic}: ${run.bytes} of ${bytes} bytes acknowledged (${run.failed} failed)`)
        return {
          acked: run.bytes / MIB / ackedSecs,
          synced: run.bytes / MIB / (ackedSecs + synced.secs),
          note: `final fdatasync of ${synced.files} files, ${(synced.bytes / MIB).toFixed(0)} MiB: ${synced.secs.toFixed(2)} s${note()}`,
        }
      } finally {
        await deleteTopic(admin, topic)
        admin.close()
      }
    }
    const raw = (how: (d: string, n: number, f: number, k: number) => RawRun) => {
      const note = counters()
      const o = how(dir, bytes, segmentBytes, retentionBytes)
      return { o, note: note() }
    }
    const rate = (secs: number) => bytes / MIB / secs
    const steps: Record<string, (r: number) => Promise<void>> = {
      direct: async (r) => {
        const { o, note } = raw(rawDirect)
        direct.push(rate(o.secs))
        log(`round ${r} raw O_DIRECT: ${direct.at(-1)!.toFixed(0)} MiB/s${note}`)
      },
      buffered: async (r) => {
        const { o, note } = raw(rawBuffered)
        buffered.push(rate(o.secs))
        bufCache.push(rate(o.writeSecs))
        bufSync.push(rate(o.syncSecs))
        log(
          `round ${r} raw buffered: ${buffered.at(-1)!.toFixed(0)} MiB/s (copy into the page cache ${bufCache.at(-1)!.toFixed(0)} MiB/s, ` +
            `fdatasyncs ${bufSync.at(-1)!.toFixed(0)} MiB/s${note})`,
        )
      },
      disk: async (r) => {
        const o = await produce(onDiskBroker, join(dir, 'broker', 'logs'))
        acked.push(o.acked)
        onDisk.push(o.synced)
        log(
          `round ${r} broker on disk: ${o.acked.toFixed(0)} MiB/s acknowledged, ${o.synced.toFixed(0)} MiB/s on disk (${o.note})`,
        )
      },
      tmpfs: async (r) => {
        if (shmBroker === null || shm === null) return
        const o = await produce(shmBroker, join(shm, 'logs'))
        tmpfs.push(o.acked)
        log(`round ${r} broker on tmpfs: ${o.acked.toFixed(0)} MiB/s`)
      },
    }
    for (let r = 1; r <= ROUNDS; r++) {
      const order = ['direct', 'disk', 'buffered', 'tmpfs']
      for (const step of r % 2 === 1 ? order : order.reverse()) await steps[step](r)
    }
  } finally {
    for (const b of brokers) await b.stop()
    rmSync(dir, { recursive: true, force: true })
    if (shm !== null) rmSync(shm, { recursive: true, force: true })
  }
  const f = (x: number) => x.toFixed(0)
  const mx = median(direct)
  const mb = median(buffered)
  const md = median(onDisk)
  const ma = median(acked)
  const mt = median(tmpfs)
  console.log(`\nDisk (standalone broker; ${machineLine()})`)
  console.log(
    `log dir ${args.dir} on ${device} (${fsType}); ${f(bytes / MIB)} MiB per run; broker: ${PRODUCERS} kperf ` +
      `producers, -p -1, 1 partition, 1 KiB records, ${settings}, then fdatasync of the segment files; ` +
      `raw: ${args['segment-mib']} MiB files, an fdatasync per file, O_DIRECT (dd, 1 MiB blocks) and buffered ` +
      `(1 MiB writeSync); segment.bytes ${args['segment-mib']} MiB, ` +
      (RETENTION_MIB > 0
        ? `retention.bytes ${RETENTION_MIB} MiB (steady state; the raw writers delete their oldest file beyond it too)`
        : 'no retention (every byte stays until the run ends)') +
      `; ${ROUNDS} rounds, alternating\n`,
  )
  console.log('| scenario | figure | ratio to raw O_DIRECT (the disk) | ratio to raw buffered |')
  console.log('|---|---:|---:|---:|')
  const row = (name: string, x: number) =>
    console.log(`| ${name} | ${f(x)} MiB/s | ${(x / mx).toFixed(2)} | ${(x / mb).toFixed(2)} |`)
  row('produce until on disk', md)
  row('produce acknowledged (acks=1, no fsync)', ma)
  if (tmpfs.length > 0) row("same produce to /dev/shm (tmpfs): the broker's and producers' CPU ceiling", mt)
  row('raw O_DIRECT write, same bytes and files', mx)
  row('raw buffered write, same bytes and files', mb)
  console.log(
    `\nraw buffered split: copy into the page cache ${f(median(bufCache))} MiB/s, fdatasyncs ${f(median(bufSync))} MiB/s (medians)`,
  )
  if (tmpfs.length > 0)
    console.log(`produce on disk / on tmpfs: ${(md / mt).toFixed(2)} (what the disk path costs the broker)`)
  console.log(
    `per round (on disk / O_DIRECT / buffered${tmpfs.length > 0 ? ' / tmpfs' : ''}): ${onDisk.map((d, i) => `${f(d)} / ${f(direct[i])} / ${f(buffered[i])}${tmpfs.length > 0 ? ` / ${f(tmpfs[i])}` : ''}`).join(', ')} MiB/s`,
  )
}

await main()
