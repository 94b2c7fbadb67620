// The plumbing under zk-real.ts: node-zookeeper-client sessions that can be stopped for good (no
// socket, no timer left behind) or held (no reconnection for a while), and the conversions from
// the library's shapes (exceptions, 8-byte longs, events) to the ZkClient seam's. With zk-real.ts,
// the only place that touches the library.
//
// After close() or a connection timeout the library may keep retrying: a pending reconnect timer
// opens a new socket, and once its state is CLOSED a failed socket makes it reconnect forever. So
// the server lookup is wrapped with a stop flag and the socket is destroyed on stop.

import zookeeper from 'node-zookeeper-client'
import type { CreateMode, Watcher, ZkConnectOptions, ZkErrorCode, ZkStat } from './zk-client.ts'
import { ZkError } from './zk-client.ts'

export type Raw = zookeeper.Client
export type RawStat = zookeeper.Stat
export type RawEvent = zookeeper.Event

/** The library internals touched to stop reconnecting (see the header comment). */
interface RawConnectionManager {
  findNextServer(cb: (server: unknown) => void): void
  onSocketConnected(): void
  connectTimeoutHandler: ReturnType<typeof setTimeout> | null
  connectTimeout: number
  /** The library's connection state: 1 while connecting (socket open, handshake pending). */
  state: number
  socket?: { destroy(): void; once(event: 'close', fn: () => void): void; cork(): void; uncork(): void }
  onSocketData(chunk: Buffer): void
  queue(request: unknown, callback?: unknown): void
}

/** The library's ConnectionManager state while waiting for the ConnectResponse. */
const CONNECTING = 1

const Ex = zookeeper.Exception
const CODES = new Map<number, ZkErrorCode>([
  [Ex.NO_NODE, 'NO_NODE'],
  [Ex.NODE_EXISTS, 'NODE_EXISTS'],
  [Ex.BAD_VERSION, 'BAD_VERSION'],
  [Ex.NOT_EMPTY, 'NOT_EMPTY'],
  [Ex.NO_CHILDREN_FOR_EPHEMERALS, 'NO_CHILDREN_FOR_EPHEMERALS'],
  [Ex.CONNECTION_LOSS, 'CONNECTION_LOSS'],
  [Ex.SESSION_EXPIRED, 'SESSION_EXPIRED'],
])

export const MODES: Record<CreateMode, number> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
}

const EVENT_TYPES = new Map<number, Parameters<Watcher>[0]['type']>([
  [zookeeper.Event.NODE_CREATED, 'created'],
  [zookeeper.Event.NODE_DELETED, 'deleted'],
  [zookeeper.Event.NODE_DATA_CHANGED, 'dataChanged'],
  [zookeeper.Event.NODE_CHILDREN_CHANGED, 'childrenChanged'],
])

export function toZkError(err: unknown, path: string | null): ZkError {
  if (err instanceof ZkError) return err
  if (err instanceof Ex) {
    const code = CODES.get(err.getCode()) ?? 'OTHER'
    return new ZkError(code, `${err.getName()}${path === null ? '' : ` for ${path}`}`, path)
  }
  // The library asserts its arguments synchronously (an invalid path, oversized data).
  return new ZkError('OTHER', err instanceof Error ? err.message : String(err), path)
}

export function long(buf: Buffer): bigint {
  return buf.readBigInt64BE(0)
}

export function toStat(s: RawStat): ZkStat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    ctime: Number(long(s.ctime)),
    version: s.version,
    ephemeralOwner: long(s.ephemeralOwner),
    numChildren: s.numChildren,
  }
}

/**
 * One registration fires at most once, even when it sits on two library watch lists. The callback
 * runs as a microtask, outside the library's socket handler (as MemoryZk delivers them), so a
 * throwing watcher cannot break the library's reading of the connection.
 */
export function oneShot(watch: Watcher): (event: RawEvent) => void {
  let fired = false
  return (event) => {
    const type = EVENT_TYPES.get(event.getType())
    if (fired || type === undefined) return
    fired = true
    const path = event.getPath()
    queueMicrotask(() => watch({ type, path }))
  }
}

export function isCode(err: unknown, code: ZkErrorCode): boolean {
  return err instanceof ZkError && err.code === code
}

/**
 * A library client with a stop switch (once stopped it opens no socket and holds no timer) and a
 * hold switch (reconnection waits while held: expireSession uses it).
 */
export interface RawSession {
  raw: Raw
  stop(): void
  hold(held: boolean): void
}

/** Resuming a session by id and password is a library option its typings leave out. */
export interface Resume {
  sessionId: Buffer
  sessionPassword: Buffer
}

export function createRaw(connect: string, opts: ZkConnectOptions, resume?: Resume): RawSession {
  const options = { sessionTimeout: opts.sessionTimeoutMs, spinDelay: 200, retries: 0, ...resume }
  const raw = zookeeper.createClient(connect, options)
  const cm = (raw as unknown as { connectionManager: RawConnectionManager }).connectionManager
  let stopped = false
  let held: (() => void)[] | null = null
  const findNextServer = cm.findNextServer.bind(cm)
  cm.findNextServer = (cb) =>
    findNextServer((server) => {
      if (stopped) return
      if (held) held.push(() => cb(server))
      else cb(server)
    })
  // Once the TCP connection is up the library waits for the server's ConnectResponse with no
  // timeout at all: a server that accepts connections while it starts (after a restart) and never
  // answers leaves the client hung, its session expiring on the server unnoticed. As the Java
  // client's read timeout does, give up on a silent handshake and let the library try again.
  const onSocketConnected = cm.onSocketConnected.bind(cm)
  cm.onSocketConnected = () => {
    onSocketConnected()
    const socket = cm.socket
    if (socket === undefined) return
    const timer = setTimeout(() => {
      if (cm.socket === socket && cm.state === CONNECTING) socket.destroy()
    }, cm.connectTimeout)
    socket.once('close', () => clearTimeout(timer))
  }
  cutFrames(cm)
  coalesceWrites(cm)
  return {
    raw,
    stop() {
      stopped = true
      held = null
      if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler)
      cm.socket?.destroy()
    },
    hold(on) {
      const waiting = held
      held = on ? (held ?? []) : null
      if (!on) for (const resume of waiting ?? []) resume()
    },
  }
}

/**
 * The library joins its leftover bytes to every chunk and parses one frame per recursive call,
 * copying the rest of the chunk each time: quadratic in the answers a chunk holds (a pipeline of
 * 1,000 getData answers). It also keeps a partial frame across reconnections and glues it to the
 * next connection's first answer, which then fails to parse and throws out of the socket handler
 * ("offset: 4 is out of buffer range"), ending the process. Frames are cut here instead, per
 * socket, and the library gets one whole frame per call (its own leftover then stays empty).
 */
function cutFrames(cm: RawConnectionManager): void {
  const onSocketData = cm.onSocketData.bind(cm)
  let rest: Buffer | null = null
  let restOf: unknown = null
  cm.onSocketData = (chunk: Buffer) => {
    if (restOf !== cm.socket) {
      rest = null
      restOf = cm.socket
    }
    const buf = rest === null ? chunk : Buffer.concat([rest, chunk])
    let at = 0
    while (buf.length - at >= 4) {
      const end = at + 4 + buf.readInt32BE(at)
      if (end > buf.length) break
      onSocketData(buf.subarray(at, end))
      at = end
      // The frame dropped the connection: what follows belonged to it.
      if (restOf !== cm.socket) return
    }
    rest = at === buf.length ? null : buf.subarray(at)
  }
}

/**
 * The library writes each request with its own socket write (a system call each): the requests
 * queued in one tick (a pipeline's window) go out together, the socket corked until the next tick.
 */
function coalesceWrites(cm: RawConnectionManager): void {
  const queue = cm.queue.bind(cm)
  let corked = false
  cm.queue = (request, callback) => {
    const socket = cm.socket
    if (!corked && socket !== undefined) {
      corked = true
      socket.cork()
      process.nextTick(() => {
        corked = false
        socket.uncork()
      })
    }
    queue(request, callback)
  }
}

/** Connects one library client; rejects with CONNECTION_LOSS (and stops it) after the timeout. */
export function openRaw(
  connect: string,
  opts: ZkConnectOptions,
  resume?: Resume,
  timeoutMs = opts.connectionTimeoutMs,
): Promise<RawSession> {
  let session: RawSession
  try {
    session = createRaw(connect, opts, resume)
  } catch (err) {
    // The library asserts the connect string synchronously.
    return Promise.reject(toZkError(err, null))
  }
  return new Promise<RawSession>((resolve, reject) => {
    const fail = (err: ZkError) => {
      clearTimeout(timer)
      session.raw.removeListener('connected', onConnected)
      session.raw.removeListener('expired', onExpired)
      session.raw.close()
      session.stop()
      reject(err)
    }
    const timer = setTimeout(
      () =>
        fail(
          new ZkError(
            'CONNECTION_LOSS',
            `Timed out waiting for a connection to ZooKeeper at ${opts.connect} ` +
              `(zookeeper.connection.timeout.ms=${opts.connectionTimeoutMs})`,
          ),
        ),
      timeoutMs,
    )
    const onConnected = () => {
      clearTimeout(timer)
      session.raw.removeListener('expired', onExpired)
      resolve(session)
    }
    const onExpired = () =>
      fail(new ZkError('SESSION_EXPIRED', `ZooKeeper at ${opts.connect} refused the session`))
    session.raw.once('connected', onConnected)
    session.raw.once('expired', onExpired)
    try {
      session.raw.connect()
    } catch (err) {
      fail(toZkError(err, null))
    }
  })
}

/** Waits for the library to finish closing (server acknowledged), else cuts the socket. */
export function closeRaw(session: RawSession, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      session.raw.removeListener('disconnected', done)
      session.stop()
      resolve()
    }
    const timer = setTimeout(done, graceMs)
    const connected = session.raw.getState() === zookeeper.State.SYNC_CONNECTED
    session.raw.once('disconnected', done)
    session.raw.close()
    if (!connected) done()
  })
}

export function splitConnect(connect: string): { hosts: string; chroot: string | null } {
  const slash = connect.indexOf('/')
  if (slash < 0) return { hosts: connect, chroot: null }
  const chroot = connect.slice(slash).replace(/\/+$/, '')
  return { hosts: connect.slice(0, slash), chroot: chroot === '' ? null : chroot }
}
