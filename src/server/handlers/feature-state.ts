// The cluster's finalized features (KIP-584) as a ZooKeeper-mode Kafka 3.x broker knows them: the
// /feature znode's `features` map, and its data version as the epoch. Such a broker supports no
// feature itself (its supported set is empty; `metadata.version` and the later features are
// KRaft-only), so the finalized set is whatever /feature holds, normally nothing, and ApiVersions
// v3+ advertises no supported feature. ApiVersions and UpdateFeatures both read this state.
//
// Two stores: the in-memory one a standalone broker uses (as if it owned a /feature znode just
// created at version 0, which is what a single-broker ZooKeeper cluster answers), and the ZooKeeper
// one for cluster mode, which keeps a watch on /feature so every broker answers the current epoch.

import type { ZkClient } from '../../metadata/zk/zk-client.ts'

export interface FeatureState {
  /** Finalized max version level by feature name. */
  readonly finalized: ReadonlyMap<string, number>
  /** The /feature data version; -1 while unknown (not read yet, or feature versioning disabled). */
  readonly epoch: bigint
}

export interface FeatureStore {
  current(): FeatureState
  /**
   * Replaces the finalized set if the epoch is still `expectedEpoch`; resolves to the new state.
   * Rejects when another writer got there first (the caller answers the update as failed).
   */
  replace(finalized: ReadonlyMap<string, number>, expectedEpoch: bigint): Promise<FeatureState>
}

/** A ZooKeeper-mode broker's supported features: none (see the header). */
export const SUPPORTED_FEATURES: ReadonlyMap<string, { min: number; max: number }> = new Map()

export const FEATURE_PATH = '/feature'

/** /feature as Kafka 3.x writes it (FeatureZNode version 2, status 1 = enabled). */
export function encodeFeatureZNode(finalized: ReadonlyMap<string, number>): Buffer {
  const features: Record<string, { max_version_level: number; min_version_level: number }> = {}
  for (const [name, level] of [...finalized].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    features[name] = { max_version_level: level, min_version_level: 1 }
  return Buffer.from(JSON.stringify({ features, version: 2, status: 1 }))
}

/** The finalized set of /feature; null when unreadable or disabled (status 0). */
export function decodeFeatureZNode(buf: Buffer | null): Map<string, number> | null {
  if (buf === null || buf.length === 0) return null
  let o: unknown
  try {
    o = JSON.parse(buf.toString('utf8'))
  } catch {
    return null
  }
  if (typeof o !== 'object' || o === null) return null
  const rec = o as { status?: unknown; features?: unknown }
  if (rec.status !== 1) return null
  const out = new Map<string, number>()
  if (typeof rec.features !== 'object' || rec.features === null) return out
  for (const [name, v] of Object.entries(rec.features as Record<string, unknown>)) {
    const level = (v as { max_version_level?: unknown } | null)?.max_version_level
    if (typeof level === 'number' && Number.isInteger(level)) out.set(name, level)
  }
  return out
}

/** A standalone broker's features: nothing finalized, epoch 0. */
export class MemoryFeatureStore implements FeatureStore {
  private state: FeatureState = { finalized: new Map(), epoch: 0n }

  current(): FeatureState {
    return this.state
  }

  replace(finalized: ReadonlyMap<string, number>, expectedEpoch: bigint): Promise<FeatureState> {
    if (expectedEpoch !== this.state.epoch) return Promise.reject(new Error('The feature epoch changed.'))
    this.state = { finalized: new Map(finalized), epoch: this.state.epoch + 1n }
    return Promise.resolve(this.state)
  }
}

/** /feature in ZooKeeper, cached and re-read whenever its watch fires. */
export class ZkFeatureStore implements FeatureStore {
  private readonly zk: ZkClient
  private state: FeatureState = { finalized: new Map(), epoch: -1n }
  private closed = false

  constructor(zk: ZkClient) {
    this.zk = zk
  }

  /** Reads /feature and keeps watching it; resolves after the first read. */
  async start(): Promise<void> {
    await this.refresh()
  }

  close(): void {
    this.closed = true
  }

  current(): FeatureState {
    return this.state
  }

  async replace(finalized: ReadonlyMap<string, number>, expectedEpoch: bigint): Promise<FeatureState> {
    const stat = await this.zk.setData(FEATURE_PATH, encodeFeatureZNode(finalized), Number(expectedEpoch))
    const next = { finalized: new Map(finalized), epoch: BigInt(stat.version) }
    if (next.epoch > this.state.epoch) this.state = next
    return next
  }

  private async refresh(): Promise<void> {
    if (this.closed) return
    const got = await this.zk.getData(FEATURE_PATH, () => {
      this.refresh().catch(() => {})
    })
    if (got === null) {
      this.state = { finalized: new Map(), epoch: -1n }
      return
    }
    const finalized = decodeFeatureZNode(got.data)
    this.state =
      finalized === null
        ? { finalized: new Map(), epoch: -1n }
        : { finalized, epoch: BigInt(got.stat.version) }
  }
}

const STANDALONE = new MemoryFeatureStore()

/** The store a handler uses: the broker's, else (not wired) a standalone broker's. */
export function featureStoreOf(s: { readonly features?: FeatureStore }): FeatureStore {
  return s.features ?? STANDALONE
}
