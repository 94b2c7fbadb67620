// The shape every generated message codec has, whole-message helpers, and the small runtime the
// generated code shares. Generated modules live in ./generated/ (never edited by hand).
//
// A codec is version-agnostic: one TypeScript type per message, the version is an argument.
// Encoding is size-first: size() computes the exact byte count (and validates what cannot be
// encoded, throwing EncodeError), then write() fills a Writer of that size. decode() never
// throws: failures land in the Reader's sticky `error`.

import { DecodeError } from '../common/errors.ts'
import { Reader } from './primitives/reader.ts'
import { Splice, Writer } from './primitives/writer.ts'

export interface MessageCodec<T> {
  /** Kafka API key; -1 for headers and record schemas without one. */
  readonly apiKey: number
  /** Schema name, e.g. 'ProduceRequest'. */
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First flexible (KIP-482) version; Infinity when there is none. */
  readonly flexibleMin: number
  /** Reads one message; never throws (failures go to r.error; check it once at the end). */
  decode(r: Reader, version: number): T
  /** Exact encoded size; with a Splice, big records blobs are counted there instead. Throws EncodeError. */
  size(msg: T, version: number, splice: Splice | null): number
  /** Writes a message that size() accepted into a Writer sized by it. */
  write(w: Writer, msg: T, version: number): void
  /** A value with every field at its schema default. */
  defaults(version: number): T
}

/** Encodes into one freshly allocated buffer (record blobs copied). */
export function encodeMessage<T>(c: MessageCodec<T>, msg: T, version: number): Buffer {
  const w = new Writer(c.size(msg, version, null))
  c.write(w, msg, version)
  return w.finish()
}

/**
 * Encodes with large records fields spliced rather than copied: returns the pieces to write in
 * order (e.g. with one writev) and their total length.
 */
export function encodeMessageSpliced<T>(
  c: MessageCodec<T>,
  msg: T,
  version: number,
): { chunks: Buffer[]; size: number } {
  const splice = new Splice()
  const inline = c.size(msg, version, splice)
  const w = new Writer(inline, true)
  c.write(w, msg, version)
  return { chunks: w.chunks(), size: inline + splice.bytes }
}

/** Decodes a whole buffer; throws DecodeError on malformed input or trailing bytes. */
export function decodeMessage<T>(c: MessageCodec<T>, buf: Buffer, version: number): T {
  const r = new Reader(buf)
  const msg = c.decode(r, version)
  if (r.error !== null) throw r.error
  if (r.pos !== r.end)
    throw new DecodeError(`${r.end - r.pos} trailing bytes after ${c.name} v${version}`, r.pos)
  return msg
}

// ---- runtime for generated code ----

/** The shared default for bytes fields (zero length, so sharing it is safe). */
export const EMPTY: Buffer = Buffer.alloc(0)

/**
 * Bounds the reader to a known tagged field's payload of `size` bytes; returns the outer end to
 * pass to leaveTagged. A payload larger than the bytes left fails the reader.
 */
export function enterTagged(r: Reader, size: number): number {
  const outer = r.end
  if (size > outer - r.pos) {
    r.fail(`tagged field of ${size} bytes exceeds the ${outer - r.pos} bytes left`)
    return outer
  }
  r.end = r.pos + size
  return outer
}

/** Restores the reader's end; the payload must have been consumed exactly. */
export function leaveTagged(r: Reader, outer: number): void {
  const fieldEnd = r.end
  r.end = outer
  if (r.error !== null) {
    r.pos = outer
    return
  }
  if (r.pos !== fieldEnd) r.fail(`tagged field payload has ${fieldEnd - r.pos} unread bytes`)
}
