// The disk-full nemesis of the cluster runs (issue 12): every broker keeps its log dir on a small
// tmpfs of its own (harness.ts mounts them as root), and this fills one of them with a filler file
// for a few seconds, topping it up as space is freed, then deletes it. The broker must refuse the
// appends it cannot write (producers get KAFKA_STORAGE_ERROR and retry; its fetchers retry), never
// crash or corrupt a segment, and catch up by itself once space returns: the harness then waits for
// a full ISR and compares every replica below the high watermark, as after any fault.

import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sleep } from '../support/e2e-clients.ts'
import { fillDisk, type Tmpfs } from './single-broker-disk.ts'

/** Fills broker `id`'s tmpfs for `ms`; `onFault` runs once it is full. */
export async function fillFor(disk: Tmpfs, ms: number, onFault: () => void): Promise<string> {
  const filler = join(disk.dir, 'filler')
  let bytes = await fillDisk(filler)
  onFault()
  const until = Date.now() + ms
  try {
    while (Date.now() < until) {
      await sleep(250)
      bytes += await fillDisk(filler)
    }
  } finally {
    await unlink(filler).catch(() => {})
  }
  return `${Math.round(bytes / 1048576)} MiB of filler`
}
