// The machine's baseline: what one Node event loop does with the same traffic and no Kafka at all.
// Run as a child process: `node baseline-server.ts produce|consume <dir>`; prints `port <n>`.
//
// produce: frames (int32 size + body) are reassembled from 'data' chunks, each body is appended to
//   a file with one write, and an 8-byte ack frame (size 4 + the request's correlation id) is sent.
//   The same loop as ../shared/bench/node-produce-path.js, minus CRC. In steady state like the
//   broker in run.ts: a new file every 64 MiB, the oldest deleted beyond 256 MiB (so memory freed
//   by deletion is written again), and everything is dropped when a run's last connection closes.
// consume: a 256 MiB file is written first; every request frame is answered with the next
//   `maxBytes` (1 MiB) of it, read with one positional read into a buffer reused per connection
//   (the client has one request outstanding, so the previous answer has left), wrapping at the end.
// Page cache only, no fsync, like the broker's default flush policy.

import { closeSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

const mode = process.argv[2]
const dir = process.argv[3]
const file = join(dir, `baseline-${process.pid}.log`)
let fd = openSync(file, 'w+')
const SEGMENT_BYTES = 64 * 1_048_576
const KEEP_SEGMENTS = 4
/** Produce mode: the files written before the current one, oldest first. */
let older: string[] = []
let segmentNo = 0
let current = file

/** Produce mode: start a new file; delete the oldest beyond the retention. */
function roll(): void {
  closeSync(fd)
  older.push(current)
  segmentNo++
  current = `${file}.${segmentNo}`
  fd = openSync(current, 'w+')
  writePos = 0
  while (older.length > KEEP_SEGMENTS) rmSync(older.shift() as string, { force: true })
}
const READ_BYTES = 1_048_576
const FILE_BYTES = 256 * 1_048_576

if (mode === 'consume') {
  const block = Buffer.alloc(READ_BYTES, 0x61)
  for (let at = 0; at < FILE_BYTES; at += READ_BYTES) writeSync(fd, block, 0, READ_BYTES, at)
}

let connections = 0
let writePos = 0

const server = createServer({ noDelay: true }, (socket) => {
  connections++
  // The end of a run (last connection gone): drop the data at once, as the broker's scenarios
  // delete their topics, so the next run on either side writes into memory freed just before.
  socket.on('close', () => {
    if (--connections === 0 && mode === 'produce') {
      ftruncateSync(fd, 0)
      writePos = 0
      for (const f of older) rmSync(f, { force: true })
      older = []
    }
  })
  let parts: Buffer[] = []
  let have = 0
  let need = -1
  let readPos = 0
  const out = mode === 'consume' ? Buffer.allocUnsafe(8 + READ_BYTES) : null
  socket.on('data', (chunk: Buffer) => {
    parts.push(chunk)
    have += chunk.length
    for (;;) {
      if (need < 0) {
        if (have < 4) return
        const head = parts.length === 1 ? parts[0] : Buffer.concat(parts, have)
        parts = [head]
        need = head.readInt32BE(0) + 4
      }
      if (have < need) return
      const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, have)
      const body = all.subarray(4, need)
      const correlationId = body.readInt32BE(4)
      if (mode === 'produce') {
        if (writePos + body.length > SEGMENT_BYTES) roll()
        writePos += writeSync(fd, body, 0, body.length, writePos)
        const ack = Buffer.allocUnsafe(8)
        ack.writeInt32BE(4, 0)
        ack.writeInt32BE(correlationId, 4)
        socket.write(ack)
      } else {
        if (out === null) return
        const n = readSync(fd, out, 8, READ_BYTES, readPos)
        readPos = (readPos + n) % FILE_BYTES
        out.writeInt32BE(4 + n, 0)
        out.writeInt32BE(correlationId, 4)
        socket.write(out.subarray(0, 8 + n))
      }
      const rest = all.subarray(need)
      parts = rest.length > 0 ? [rest] : []
      have = rest.length
      need = -1
    }
  })
  socket.on('error', () => {})
})

server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  process.stdout.write(`port ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`)
})

const stop = () => {
  server.close()
  closeSync(fd)
  for (const f of [...older, current]) rmSync(f, { force: true })
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
