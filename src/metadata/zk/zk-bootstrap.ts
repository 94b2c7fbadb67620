// What a broker does in ZooKeeper before it can serve, as Kafka's does at startup: make the
// top-level paths, agree on the cluster id (/cluster/id, created by the first broker ever; every
// log dir's meta.properties must name the same one), record the feature znode, and settle this
// broker's id (broker.id, else the one in meta.properties, else a fresh one from /brokers/seqid
// above reserved.broker.max.id). meta.properties is written in Kafka's ZooKeeper-mode format
// (version 0, broker.id, cluster.id).

import { join } from 'node:path'
import type { Fs } from '../../common/fs.ts'
import type { Uuid } from '../../common/ids.ts'
import { checkIdentity, readMetaProperties, writeMetaProperties } from '../embedded/meta-properties.ts'
import { MetadataError, MetadataErrorCode } from '../errors.ts'
import { randomUuid } from '../uuid.ts'
import type { ZkClient } from './zk-client.ts'
import { decodeClusterId, encodeClusterId, encodeFeatures, PERSISTENT_PATHS, ZkPaths } from './znodes.ts'

export interface ZkIdentity {
  readonly clusterId: string
  readonly brokerId: number
}

export async function bootstrapZk(
  zk: ZkClient,
  opts: {
    readonly fs: Fs
    readonly logDirs: readonly string[]
    /** broker.id / node.id; -1 when not configured. */
    readonly brokerId: number
    readonly reservedBrokerMaxId: number
    readonly now: () => number
    readonly newUuid?: () => Uuid
  },
): Promise<ZkIdentity> {
  for (const p of PERSISTENT_PATHS) await zk.mkdirp(p)
  const clusterId = await getOrCreateClusterId(zk, opts.newUuid ?? (() => randomUuid()))
  await createIfAbsent(zk, ZkPaths.feature, encodeFeatures())

  let stored: number | null = null
  const metas = []
  for (const dir of opts.logDirs) {
    await opts.fs.mkdir(dir)
    const m = await readMetaProperties(opts.fs, dir)
    metas.push(m)
    if (m === null) continue
    const path = join(dir, 'meta.properties')
    if (m.clusterId !== null && m.clusterId !== clusterId)
      throw new MetadataError(
        MetadataErrorCode.IdentityMismatch,
        `The Cluster ID ${clusterId} doesn't match stored clusterId Some(${m.clusterId}) in ${path}. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.`,
      )
    checkIdentity(m, path, { clusterId, nodeId: opts.brokerId >= 0 ? opts.brokerId : stored })
    stored ??= m.nodeId
  }
  const brokerId =
    opts.brokerId >= 0 ? opts.brokerId : (stored ?? (await generateBrokerId(zk, opts.reservedBrokerMaxId)))
  for (const [i, m] of metas.entries()) {
    if (m !== null && m.clusterId === clusterId && m.nodeId === brokerId) continue
    await writeMetaProperties(
      opts.fs,
      opts.logDirs[i]!,
      { version: 0, clusterId, nodeId: brokerId, directoryId: null },
      new Date(opts.now()),
    )
  }
  return { clusterId, brokerId }
}

async function createIfAbsent(zk: ZkClient, path: string, data: Buffer): Promise<boolean> {
  try {
    await zk.create(path, data, 'persistent')
    return true
  } catch (e) {
    if ((e as { code?: string }).code === 'NODE_EXISTS') return false
    throw e
  }
}

async function getOrCreateClusterId(zk: ZkClient, newUuid: () => Uuid): Promise<string> {
  for (;;) {
    const got = await zk.getData(ZkPaths.clusterId)
    if (got !== null) {
      const id = decodeClusterId(got.data)
      if (id === null)
        throw new MetadataError(
          MetadataErrorCode.CorruptState,
          `${ZkPaths.clusterId} in ZooKeeper is not readable`,
        )
      return id
    }
    await zk.mkdirp('/cluster')
    if (await createIfAbsent(zk, ZkPaths.clusterId, encodeClusterId(newUuid()))) continue
  }
}

/** Kafka's broker id generation: the version of /brokers/seqid after a write, above the reserved range. */
async function generateBrokerId(zk: ZkClient, reservedMax: number): Promise<number> {
  const stat = await zk.setData(ZkPaths.brokerSeqId, null)
  return reservedMax + stat.version
}
