// The ZooKeeper client seam: the handful of operations Samsa needs, as promises. Two
// implementations: zk-real.ts over node-zookeeper-client (a real Apache ZooKeeper) and
// zk-memory.ts (an in-memory ensemble for fast, deterministic tests of the cluster logic). Every
// caller goes through this interface; nothing else imports node-zookeeper-client.
//
// Semantics are ZooKeeper's: watches are one-shot and fire at most once per registration;
// ephemeral nodes vanish when the session that created them closes or expires; `multi` is atomic
// (all or nothing); versions are znode data versions (-1: any).

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential'

export interface ZkStat {
  /** Creation zxid (Kafka's broker epoch is the czxid of /brokers/ids/<id>). */
  readonly czxid: bigint
  readonly mzxid: bigint
  /** Creation time, epoch ms of the server's clock (notifications expire by it). */
  readonly ctime: number
  /** Data version. */
  readonly version: number
  /** Session id of the owner of an ephemeral node, 0n otherwise. */
  readonly ephemeralOwner: bigint
  readonly numChildren: number
}

/** A watch callback; `type` says what happened to the watched path. */
export type Watcher = (event: {
  type: 'created' | 'deleted' | 'dataChanged' | 'childrenChanged'
  path: string
}) => void

export type ZkOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer | null; readonly mode?: CreateMode }
  | { readonly op: 'setData'; readonly path: string; readonly data: Buffer | null; readonly version?: number }
  | { readonly op: 'delete'; readonly path: string; readonly version?: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }

/** ZooKeeper's error codes Samsa handles by name; others come through as 'OTHER'. */
export type ZkErrorCode =
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'NO_CHILDREN_FOR_EPHEMERALS'
  | 'CONNECTION_LOSS'
  | 'SESSION_EXPIRED'
  | 'CLOSED'
  | 'OTHER'

export class ZkError extends Error {
  readonly code: ZkErrorCode
  readonly path: string | null
  constructor(code: ZkErrorCode, message: string, path: string | null = null) {
    super(message)
    this.name = 'ZkError'
    this.code = code
    this.path = path
  }
}

export type SessionState = 'connected' | 'disconnected' | 'expired' | 'closed'

export interface ZkClient {
  /** The session id (0n before the first connection). */
  readonly sessionId: bigint
  /** Creates a node; returns its path (with the sequence suffix for sequential modes). */
  create(path: string, data: Buffer | null, mode?: CreateMode): Promise<string>
  /** Creates every missing node of `path` (persistent, empty data). */
  mkdirp(path: string): Promise<void>
  /** Data and stat, or null when there is no node (the watch then fires on creation). */
  getData(path: string, watch?: Watcher): Promise<{ data: Buffer | null; stat: ZkStat } | null>
  /** Throws ZkError NO_NODE / BAD_VERSION. */
  setData(path: string, data: Buffer | null, version?: number): Promise<ZkStat>
  /** Child names (not paths), or null when there is no node. */
  getChildren(path: string, watch?: Watcher): Promise<string[] | null>
  exists(path: string, watch?: Watcher): Promise<ZkStat | null>
  /** Throws ZkError NO_NODE / BAD_VERSION / NOT_EMPTY. */
  delete(path: string, version?: number): Promise<void>
  /** Deletes a node and everything under it; no error when absent. */
  deleteRecursive(path: string): Promise<void>
  /** Atomic; throws the ZkError of the first failing op (with its path). */
  multi(ops: readonly ZkOp[]): Promise<void>
  /** Called on every session state change. */
  onStateChange(listener: (state: SessionState) => void): () => void
  /** Ends the session (its ephemeral nodes vanish at once). */
  close(): Promise<void>
}

export interface ZkConnectOptions {
  /** host:port[,host:port...][/chroot] as in zookeeper.connect. */
  readonly connect: string
  readonly sessionTimeoutMs: number
  /** Give up when no connection was made within this time (zookeeper.connection.timeout.ms). */
  readonly connectionTimeoutMs: number
}
