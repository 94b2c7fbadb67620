// Control records: the single record of a control batch (attributes bit 5), never handed to
// applications. Transaction markers are how consumers in read_committed mode learn that a
// producer's transaction was committed or aborted.
//
//   key:   version int16 (0), type int16 (0 abort, 1 commit; KRaft adds 2-6 for its own log)
//   value for abort/commit (EndTransactionMarker): version int16 (0), coordinatorEpoch int32
//
// Readers accept any non-negative key version and read the fields they know, as Kafka does.

import { corruptBatch, type KafkaRecord } from './record.ts'

export const ControlType = {
  abort: 0,
  commit: 1,
  leaderChange: 2,
  snapshotHeader: 3,
  snapshotFooter: 4,
  kraftVersion: 5,
  kraftVoters: 6,
} as const
export type ControlType = (typeof ControlType)[keyof typeof ControlType]

export const CONTROL_KEY_VERSION = 0
export const END_TXN_MARKER_VERSION = 0

export function controlKey(type: number, version = CONTROL_KEY_VERSION): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeInt16BE(version, 0)
  b.writeInt16BE(type, 2)
  return b
}

export function endTxnMarkerValue(coordinatorEpoch: number, version = END_TXN_MARKER_VERSION): Buffer {
  const b = Buffer.allocUnsafe(6)
  b.writeInt16BE(version, 0)
  b.writeInt32BE(coordinatorEpoch, 2)
  return b
}

export interface ControlRecordInfo {
  version: number
  /** Raw type id; see ControlType. */
  type: number
  /** 'commit' or 'abort' for transaction markers, else null. */
  marker: 'commit' | 'abort' | null
  /** From the EndTransactionMarker value (transaction markers only), else -1. */
  coordinatorEpoch: number
}

/** Reads the key (and for transaction markers the value) of a control record. */
export function parseControlRecord(record: Pick<KafkaRecord, 'key' | 'value'>): ControlRecordInfo {
  const key = record.key
  if (key === null || key.length < 4)
    throw corruptBatch('control record key is missing or shorter than 4 bytes')
  const version = key.readInt16BE(0)
  if (version < 0) throw corruptBatch(`control record key has a negative version ${version}`)
  const type = key.readInt16BE(2)
  if (type !== ControlType.abort && type !== ControlType.commit) {
    return { version, type, marker: null, coordinatorEpoch: -1 }
  }
  const value = record.value
  if (value === null || value.length < 6) {
    throw corruptBatch('transaction marker value is missing or shorter than 6 bytes')
  }
  const valueVersion = value.readInt16BE(0)
  if (valueVersion < 0) throw corruptBatch(`transaction marker value has a negative version ${valueVersion}`)
  return {
    version,
    type,
    marker: type === ControlType.commit ? 'commit' : 'abort',
    coordinatorEpoch: value.readInt32BE(2),
  }
}
