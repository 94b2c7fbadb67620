// Random Uuids as Kafka makes them (Uuid.randomUuid): a version-4 UUID, printed as 22 characters of
// URL-safe base64 without padding, never one of the reserved values (all zeros, or 0...01 — the
// metadata topic's id) and never starting with '-' (it would read as a command-line flag).

import { randomBytes } from 'node:crypto'
import type { Uuid } from '../common/ids.ts'

export function uuidFromBytes(bytes: Uint8Array): Uuid {
  if (bytes.length !== 16) throw new RangeError('a Uuid is 16 bytes')
  return Buffer.from(bytes).toString('base64url') as Uuid
}

export function uuidToBytes(uuid: Uuid): Buffer {
  const b = Buffer.from(uuid, 'base64url')
  if (b.length !== 16 || b.toString('base64url') !== uuid) throw new RangeError(`not a Uuid: ${uuid}`)
  return b
}

export const isUuid = (s: string): s is Uuid => /^[A-Za-z0-9_-]{21}[AQgw]$/.test(s)

const isReserved = (b: Buffer): boolean => b.subarray(0, 15).every((x) => x === 0) && b[15]! <= 1

export function randomUuid(random: (n: number) => Buffer = randomBytes): Uuid {
  for (;;) {
    const b = random(16)
    b[6] = (b[6]! & 0x0f) | 0x40 // version 4
    b[8] = (b[8]! & 0x3f) | 0x80 // IETF variant
    if (isReserved(b)) continue
    const id = uuidFromBytes(b)
    if (!id.startsWith('-')) return id
  }
}
