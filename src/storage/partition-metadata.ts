// partition.metadata: the topic id of the partition directory, so a directory left over from a
// deleted topic of the same name is never mistaken for the new one. Format (Kafka's):
//
//   version: 0
//   topic_id: <22-character base64url Uuid>

import { join } from 'node:path'
import type { Fs } from '../common/fs.ts'
import { isNotFound, writeFileAtomic } from '../common/fs.ts'
import type { Uuid } from '../common/ids.ts'
import { PARTITION_METADATA_FILE } from './file-names.ts'
import { StorageError, StorageErrorCode } from './storage-error.ts'

export function formatPartitionMetadata(topicId: Uuid): string {
  return `version: 0\ntopic_id: ${topicId}\n`
}

export function parsePartitionMetadata(text: string): Uuid {
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*:\s*(\S*)\s*$/.exec(line)
    if (m !== null) fields.set(m[1], m[2])
  }
  const id = fields.get('topic_id')
  if (fields.get('version') !== '0' || id === undefined || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
    throw new StorageError(StorageErrorCode.CorruptData, `malformed ${PARTITION_METADATA_FILE}`)
  }
  return id as Uuid
}

export async function readPartitionMetadata(fs: Fs, dir: string): Promise<Uuid | null> {
  try {
    return parsePartitionMetadata((await fs.readFile(join(dir, PARTITION_METADATA_FILE))).toString('utf8'))
  } catch (err) {
    if (isNotFound(err)) return null
    throw err
  }
}

export function writePartitionMetadata(fs: Fs, dir: string, topicId: Uuid): Promise<void> {
  return writeFileAtomic(
    fs,
    join(dir, PARTITION_METADATA_FILE),
    Buffer.from(formatPartitionMetadata(topicId)),
  )
}
