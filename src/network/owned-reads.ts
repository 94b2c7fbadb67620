// Reads into memory we choose: re-creates an accepted TCP socket with net.Socket's `onread` option.
//
// By default Node allocates a fresh buffer for every socket read and pushes it through the
// Readable stream machinery; a 1 MiB produce request then arrives as ~16 separate 64 KiB buffers
// that must be joined. With `onread` and a buffer function, the kernel writes straight into the
// buffer the function returns (the frame reader hands out the unfilled tail of the request body),
// and the callback gets the byte count, with no stream events in between.
//
// net.Server has no `onread` option for the sockets it accepts, so the accepted socket (created
// paused by `pauseOnConnect`) gives up its handle to a new Socket built with `onread`; the empty
// shell is destroyed, which only updates the server's connection count. `_handle` is Node's
// long-standing (undocumented) name for the libuv handle; where it is missing or the socket is not
// a plain TCP socket (a TLSSocket from an SSL listener: its reads are decrypted records, which only
// come as 'data' chunks) this returns null and the caller uses 'data' events.

import { Socket } from 'node:net'

export interface OwnedReads {
  /** The buffer the next read fills (called before every read). */
  buffer(): Buffer
  /** `n` bytes were read into the start of that buffer. Return false to stop reading (pause). */
  onRead(n: number): boolean
}

export function withOwnedReads(accepted: Socket, reads: OwnedReads): Socket | null {
  if (accepted.constructor !== Socket) return null
  const shell = accepted as Socket & { _handle?: unknown }
  const handle = shell._handle
  if (handle === null || handle === undefined) return null
  shell._handle = null
  accepted.destroy()
  return new Socket({
    handle,
    readable: true,
    writable: true,
    onread: { buffer: () => reads.buffer(), callback: (n: number) => reads.onRead(n) },
  } as unknown as ConstructorParameters<typeof Socket>[0])
}
