// The disk scenario's physical limits (bench/disk.ts): the same bytes the broker writes, written
// raw to the same filesystem in files of the broker's segment size, with an fdatasync as each
// file fills (the broker fsyncs each segment it rolls) and the oldest files deleted beyond the
// topic's retention. Two ways, because on this project's VM they measure different things:
// - buffered (1 MiB writeSync of one random buffer, as the broker's pwritev goes through the page
//   cache): its time splits into the copy into the page cache and the fdatasyncs. That copy runs
//   at ~5 GiB/s when the kernel hands it pages the host still backs (memory freed a moment before)
//   and at 75-400 MiB/s when the host has to back them again (free page reporting: reported_kib),
//   so this figure says as much about the VM's memory as about the disk;
// - O_DIRECT (dd oflag=direct from a 64 MiB random file): the bytes go from one buffer straight to
//   the device, so this is the disk's own limit, whatever the state of memory.
// Also the counters the scenario prints beside its figures: what the block device wrote and how
// long it was busy (/proc/diskstats), and how much memory the guest handed back to the host.

import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { closeSync, fdatasyncSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const MIB = 1_048_576
const DD_CHUNK = 64 * MIB

export interface RawRun {
  /** Seconds in all; of them, in writes (buffered: into the page cache) and in fdatasyncs. */
  secs: number
  writeSecs: number
  syncSecs: number
}

/** Files of `fileBytes` holding `bytes` in all, oldest deleted beyond `keepBytes` (0: keep all). */
function writeFiles(
  dir: string,
  bytes: number,
  fileBytes: number,
  keepBytes: number,
  fill: (file: string, size: number) => { writeMs: number; syncMs: number },
): RawRun {
  const files: string[] = []
  let writeMs = 0
  let syncMs = 0
  const t0 = performance.now()
  for (let done = 0, n = 0; done < bytes; n++) {
    const file = join(dir, `raw-${n}.bin`)
    files.push(file)
    const size = Math.min(fileBytes, bytes - done)
    const t = fill(file, size)
    writeMs += t.writeMs
    syncMs += t.syncMs
    done += size
    while (keepBytes > 0 && (files.length - 1) * fileBytes > keepBytes) rmSync(files.shift()!)
  }
  const secs = (performance.now() - t0) / 1000
  for (const f of files) rmSync(f)
  return { secs, writeSecs: writeMs / 1000, syncSecs: syncMs / 1000 }
}

/** Buffered: 1 MiB writeSync calls of random bytes (not zeros, which a virtual disk may compress). */
export function rawBuffered(dir: string, bytes: number, fileBytes: number, keepBytes: number): RawRun {
  const chunk = randomFillSync(Buffer.allocUnsafe(MIB))
  return writeFiles(dir, bytes, fileBytes, keepBytes, (file, size) => {
    const fd = openSync(file, 'w')
    try {
      const w0 = performance.now()
      for (let done = 0; done < size; done += MIB) writeSync(fd, chunk, 0, Math.min(MIB, size - done))
      const s0 = performance.now()
      fdatasyncSync(fd)
      return { writeMs: s0 - w0, syncMs: performance.now() - s0 }
    } finally {
      closeSync(fd)
    }
  })
}

/**
 * O_DIRECT: dd (aligned buffers, which Node cannot promise) copies a 64 MiB random source file
 * into each file with oflag=direct, 1 MiB blocks; the last copy of a file ends in its fdatasync.
 * The time of the fdatasyncs is not told apart (writeSecs is everything).
 */
export function rawDirect(dir: string, bytes: number, fileBytes: number, keepBytes: number): RawRun {
  const src = join(dir, 'raw-source.bin')
  writeFileSync(src, randomFillSync(Buffer.allocUnsafe(DD_CHUNK)))
  try {
    return writeFiles(dir, bytes, fileBytes, keepBytes, (file, size) => {
      const w0 = performance.now()
      for (let done = 0; done < size; done += DD_CHUNK) {
        const last = done + DD_CHUNK >= size
        execFileSync('dd', [
          `if=${src}`,
          `of=${file}`,
          'bs=1M',
          `count=${Math.ceil(Math.min(DD_CHUNK, size - done) / MIB)}`,
          `seek=${done / MIB}`,
          'oflag=direct',
          last ? 'conv=notrunc,fdatasync' : 'conv=notrunc',
          'status=none',
        ])
      }
      return { writeMs: performance.now() - w0, syncMs: 0 }
    })
  } finally {
    rmSync(src, { force: true })
  }
}

/** MiB written to a block device (by name, e.g. "vda") and ms it had I/O in flight, from /proc. */
export function diskWrites(device: string): { mib: number; busyMs: number } | null {
  try {
    for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/)
      if (f[2] === device) return { mib: Number(f[9]) / 2048, busyMs: Number(f[12]) }
    }
  } catch {}
  return null
}

/** KiB of memory the guest has handed back to the host so far (free page reporting), or null. */
export function reportedKib(): number | null {
  try {
    return Number(readFileSync('/sys/module/page_reporting/parameters/reported_kib', 'utf8').trim())
  } catch {
    return null
  }
}
