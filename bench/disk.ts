// npm run bench -- disk [--dir D] [--mib M] [--rounds N] [--producers K] [--segment-mib S]
//
// Issue 17's disk scenario: the broker producing to a log dir on a real disk, against the physical
// limit measured in the same run — a raw sequential write of the same number of bytes to the same
// filesystem. Both are timed until the bytes are on the disk:
// - broker: K (4) kperf producers at once (-p -1, 1 KiB records, acks=1 and librdkafka's other
//   defaults) send M MiB in all to a fresh 1-partition topic; then the topic's segment files are
//   fdatasync'ed (Kafka's default flush policy never fsyncs, so without it the figure would be the
//   page cache's). Both the acknowledged rate and the rate until on disk are printed.
// - raw: one file written sequentially from this process, 1 MiB writeSync calls of random bytes
//   (not zeros, which a virtual disk may compress), one fdatasync at the end.
// - the same produce to a second broker whose log dir is on /dev/shm (tmpfs), in the same round: on
//   a 2-core machine kperf and the broker are CPU-bound well below a fast disk, so this says how
//   much of the gap to the raw write is the disk's and how much the CPU's.
// The three alternate (order flipped every round); everything is deleted after each run. No retention
// on the topic here: the point is that every byte reaches the disk, as every raw byte does (on
// tmpfs, steady state instead recycles memory; see partitions.ts).
// Default dir /var/tmp: `df -T` is printed so the figure says which filesystem it measured.

import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { kperfProduce, requireKperf } from './scenarios/kperf.ts'
import { type Child, startBroker } from './scenarios/processes.ts'
import { machineLine, median } from './scenarios/report.ts'
import { createTopic, deleteTopic, WireConnection } from './scenarios/wire.ts'

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== 'disk'),
  options: {
    dir: { type: 'string', default: '/var/tmp' },
    mib: { type: 'string', default: '2048' },
    rounds: { type: 'string', default: '2' },
    producers: { type: 'string', default: '4' },
    'segment-mib': { type: 'string', default: '256' },
  },
})
const MIB = 1_048_576
const TOTAL_MIB = Number(args.mib)
const ROUNDS = Number(args.rounds)
const PRODUCERS = Number(args.producers)
const log = (s: string) => process.stderr.write(`[disk] ${s}\n`)

/** The raw sequential write: `bytes` in 1 MiB writes, then one fdatasync. Returns seconds. */
function rawWrite(file: string, bytes: number): number {
  const chunk = randomFillSync(Buffer.allocUnsafe(MIB))
  const t0 = performance.now()
  const fd = openSync(file, 'w')
  try {
    for (let done = 0; done < bytes; done += MIB) writeSync(fd, chunk, 0, Math.min(MIB, bytes - done))
    fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  const secs = (performance.now() - t0) / 1000
  rmSync(file)
  return secs
}

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
  log(`log dir ${dir} on ${device} (${fsType})`)
  if (fsType === 'tmpfs') log('warning: that is tmpfs, not a disk')
  const perProducer = Math.floor((TOTAL_MIB * MIB) / 1024 / PRODUCERS)
  const bytes = perProducer * PRODUCERS * 1024
  const raw: number[] = []
  const acked: number[] = []
  const onDisk: number[] = []
  const tmpfs: number[] = []
  let settings = ''
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/samsa-disk-') : null
  const brokers: Child[] = []
  try {
    const onDiskBroker = await startBroker({ dir: join(dir, 'broker') })
    brokers.push(onDiskBroker)
    const shmBroker = shm === null ? null : await startBroker({ dir: shm })
    if (shmBroker !== null) brokers.push(shmBroker)
    let runs = 0
    /** One produce run of `bytes` to a fresh topic on `b`; MiB/s acknowledged and until synced. */
    const produce = async (b: Child, logDir: string) => {
      const admin = await WireConnection.open(b.host, b.port)
      const topic = `disk${++runs}`
      try {
        await createTopic(admin, topic, 1, { 'segment.bytes': Number(args['segment-mib']) * MIB })
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
          note: `final fdatasync of ${synced.files} files, ${(synced.bytes / MIB).toFixed(0)} MiB: ${synced.secs.toFixed(2)} s`,
        }
      } finally {
        await deleteTopic(admin, topic)
        admin.close()
      }
    }
    const steps: Record<string, (r: number) => Promise<void>> = {
      raw: async (r) => {
        raw.push(bytes / MIB / rawWrite(join(dir, 'raw.bin'), bytes))
        log(`round ${r} raw write: ${raw.at(-1)!.toFixed(0)} MiB/s`)
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
      const order = ['raw', 'disk', 'tmpfs']
      for (const step of r % 2 === 1 ? order : order.reverse()) await steps[step](r)
    }
  } finally {
    for (const b of brokers) await b.stop()
    rmSync(dir, { recursive: true, force: true })
    if (shm !== null) rmSync(shm, { recursive: true, force: true })
  }
  const mr = median(raw)
  const ma = median(acked)
  const md = median(onDisk)
  console.log(`\nDisk (standalone broker; ${machineLine()})`)
  console.log(
    `log dir ${args.dir} on ${device} (${fsType}); ${(bytes / MIB).toFixed(0)} MiB per run; broker: ${PRODUCERS} kperf ` +
      `producers, -p -1, 1 partition, 1 KiB records, ${settings}, then fdatasync of the segment files; ` +
      `raw: 1 MiB writeSync of random bytes + one fdatasync; segment.bytes ${args['segment-mib']} MiB, no retention; ` +
      `${ROUNDS} rounds, alternating\n`,
  )
  console.log('| scenario | figure | raw sequential write | ratio to raw |')
  console.log('|---|---:|---:|---:|')
  console.log(
    `| produce until on disk | ${md.toFixed(0)} MiB/s | ${mr.toFixed(0)} MiB/s | ${(md / mr).toFixed(2)} |`,
  )
  console.log(
    `| produce acknowledged (acks=1, no fsync) | ${ma.toFixed(0)} MiB/s | | ${(ma / mr).toFixed(2)} |`,
  )
  if (tmpfs.length > 0) {
    const mt = median(tmpfs)
    console.log(
      `| same produce to /dev/shm (tmpfs), same run: the broker and its producers' own ceiling | ${mt.toFixed(0)} MiB/s | | ${(mt / mr).toFixed(2)} |`,
    )
    console.log(
      `\nproduce on disk / on tmpfs: ${(md / mt).toFixed(2)} (what the disk costs the broker in this run)`,
    )
  }
  console.log(
    `\nper round (on disk / raw${tmpfs.length > 0 ? ' / tmpfs' : ''}): ${onDisk.map((d, i) => `${d.toFixed(0)} / ${raw[i].toFixed(0)}${tmpfs.length > 0 ? ` / ${tmpfs[i].toFixed(0)}` : ''}`).join(', ')} MiB/s`,
  )
}

await main()
