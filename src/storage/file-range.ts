// A read result as byte ranges of segment files: whole batches, to be sent as they are. The
// fetch path either copies them into its response with readRanges (one positional read per
// range) or reads each range straight into its own buffer.

import { type FileHandle, readFully } from '../common/fs.ts'

export interface FileRange {
  file: FileHandle
  position: number
  length: number
}

/**
 * Reads the ranges back to back into one buffer. A range cut short (its segment was truncated
 * meanwhile) ends the result there; the buffer is then shorter than the ranges' total.
 */
export async function readRanges(ranges: readonly FileRange[], into?: Buffer, at = 0): Promise<Buffer> {
  let total = 0
  for (const r of ranges) total += r.length
  const out = into ?? Buffer.allocUnsafe(total)
  let pos = at
  for (const r of ranges) {
    const done = await readFully(r.file, out, pos, r.length, r.position)
    if (done < r.length) return out.subarray(at, pos + done)
    pos += r.length
  }
  return out.subarray(at, pos)
}
