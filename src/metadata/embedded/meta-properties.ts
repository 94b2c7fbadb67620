// meta.properties, the identity file Kafka keeps at the root of every log directory. Samsa writes it
// exactly as Kafka (KRaft, version 1) does — Properties.store output: an empty comment line, the
// date line, then the entries in key order (what Java 18+ writes):
//
//   #
//   #Tue Jan 02 03:04:05 UTC 2024
//   cluster.id=<22-char Uuid>
//   directory.id=<22-char Uuid>
//   node.id=<int>
//   version=1
//
// It is read with Kafka's rules too: version 0 (ZooKeeper-era) files carry broker.id instead of
// node.id and may lack cluster.id; version 1 files must have both. Mismatches with the configured
// node id or cluster id are refused with Kafka's messages.

import { join } from 'node:path'
import { type Fs, isNotFound, writeFileAtomic } from '../../common/fs.ts'
import type { Uuid } from '../../common/ids.ts'
import { parseProperties, propertiesToMap, writeProperties } from '../../config/properties.ts'
import { MetadataError, MetadataErrorCode } from '../errors.ts'
import { isUuid } from '../uuid.ts'

export const META_PROPERTIES = 'meta.properties'

export interface MetaProperties {
  readonly version: 0 | 1
  readonly clusterId: string | null
  readonly nodeId: number | null
  readonly directoryId: Uuid | null
}

export function formatMetaProperties(m: MetaProperties, now: Date): string {
  const entries: [string, string][] = [['version', String(m.version)]]
  if (m.clusterId !== null) entries.push(['cluster.id', m.clusterId])
  if (m.nodeId !== null) entries.push([m.version === 0 ? 'broker.id' : 'node.id', String(m.nodeId)])
  if (m.directoryId !== null) entries.push(['directory.id', m.directoryId])
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return writeProperties(entries, { comments: [''], date: now })
}

export function parseMetaProperties(text: string, path: string): MetaProperties {
  const bad = (why: string) => new MetadataError(MetadataErrorCode.MetaProperties, `${why} (${path})`)
  let props: Map<string, string>
  try {
    props = propertiesToMap(parseProperties(text))
  } catch (e) {
    throw bad(`Unreadable meta.properties: ${(e as Error).message}`)
  }
  const versionText = props.get('version') ?? '0'
  if (versionText !== '0' && versionText !== '1') throw bad(`Unknown meta.properties version ${versionText}`)
  const version = versionText === '1' ? 1 : 0
  const intProp = (key: string): number | null => {
    const v = props.get(key)
    if (v === undefined) return null
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v.trim())))
      throw bad(`Unable to read ${key} as a base-10 number.`)
    return Number(v.trim())
  }
  const nodeId = version === 1 ? intProp('node.id') : intProp('broker.id')
  const clusterId = props.get('cluster.id') ?? null
  if (version === 1 && clusterId === null) throw bad('cluster.id was not specified in the v1 file')
  if (version === 1 && nodeId === null) throw bad('node.id was not specified')
  const directoryId = props.get('directory.id') ?? null
  if (directoryId !== null && !isUuid(directoryId))
    throw bad(`Unable to read directory.id as a Uuid: ${directoryId}`)
  return { version, clusterId, nodeId, directoryId: directoryId as Uuid | null }
}

/** The meta.properties of a log dir, or null when the dir has none. */
export async function readMetaProperties(fs: Fs, logDir: string): Promise<MetaProperties | null> {
  const path = join(logDir, META_PROPERTIES)
  let bytes: Buffer
  try {
    bytes = await fs.readFile(path)
  } catch (e) {
    if (isNotFound(e)) return null
    throw e
  }
  return parseMetaProperties(bytes.toString('utf8'), path)
}

/** Writes meta.properties atomically and durably (temp file, fsync, rename, directory fsync). */
export async function writeMetaProperties(
  fs: Fs,
  logDir: string,
  m: MetaProperties,
  now: Date,
): Promise<void> {
  await writeFileAtomic(fs, join(logDir, META_PROPERTIES), Buffer.from(formatMetaProperties(m, now), 'utf8'))
}

/** Kafka's check of a stored identity against the expected one; throws with Kafka's wording. */
export function checkIdentity(
  m: MetaProperties,
  path: string,
  expected: { clusterId: string | null; nodeId: number | null },
): void {
  if (expected.clusterId !== null && m.clusterId !== null && m.clusterId !== expected.clusterId)
    throw new MetadataError(
      MetadataErrorCode.IdentityMismatch,
      `Invalid cluster.id in: ${path}. Expected ${expected.clusterId}, but read ${m.clusterId}`,
    )
  if (expected.nodeId !== null && m.nodeId !== null && m.nodeId !== expected.nodeId)
    throw new MetadataError(
      MetadataErrorCode.IdentityMismatch,
      `Stored node id ${m.nodeId} doesn't match previous node id ${expected.nodeId} in ${path}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.`,
    )
}
