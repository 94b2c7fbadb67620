// The in-memory transport of the replication simulation: a follower's LeaderEndPoint that calls the
// leader broker's ReplicaManager directly (Fetch as a replica, ListOffsets through the leader
// Partition with isolation null, as the ListOffsets handler does for a replica id), and the links
// between brokers, each of which can be cut. A cut link refuses new calls like a refused connection
// and breaks the calls in flight on it (their answers are lost, as when a connection resets; what
// the leader did on receiving them stays done). A call to a dead broker is refused the same way;
// a broker process that dies loses its calls in flight in both directions. A one-way drop (packets
// from A to B lost, B to A delivered, as an iptables DROP on one side) neither refuses nor breaks
// anything: A's requests to B and A's answers to B's requests wait on the wire until the drop is
// lifted and then arrive, as TCP retransmits them (request timeouts are longer than the drop, as
// replica.socket.timeout.ms is); B's requests still reach A and run there.

import { ErrorCode } from '../../../../src/protocol/generated/error-codes.ts'
import type { FetchPartitionInput } from '../../../../src/replication/fetch-reader.ts'
import {
  type FetchOptions,
  type FetchPartitionData,
  type FetchPartitionRequest,
  type LeaderEndPoint,
  LeaderPartitionError,
} from '../../../../src/replication/fetcher/leader-endpoint.ts'
import type { ReplicaManager } from '../../../../src/replication/replica-manager.ts'
import { ListOffsetsTimestamp } from '../../../../src/storage/log.ts'

/** One broker process as the network sees it: it answers while alive. */
export interface NetNode {
  readonly id: number
  readonly epoch: bigint
  readonly rm: ReplicaManager
  dead: boolean
}

interface HeldPacket {
  readonly from: number
  readonly to: number
  readonly release: () => void
}

interface InFlight {
  readonly from: NetNode
  readonly to: NetNode
  readonly fail: (err: Error) => void
}

const linkKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`)

export class SimNetwork {
  private readonly nodes = new Map<number, NetNode>()
  private readonly cut = new Set<string>()
  /** One-way drops, `from>to`. */
  private readonly dropped = new Set<string>()
  private held: HeldPacket[] = []
  private readonly inFlight = new Set<InFlight>()
  /** Calls refused or broken, for traces. */
  refused = 0
  /** Messages on the wire now (a request or answer waiting for its event-loop turn). */
  hops = 0
  /** ListOffsets calls answered (followers resetting an out-of-range fetch offset). */
  listOffsets = 0
  /** The last replica fetches and their answers, for diagnosing a busy loop. */
  readonly recent: string[] = []

  remember(line: string): void {
    this.recent.push(line)
    if (this.recent.length > 12) this.recent.shift()
  }

  /** The live process of a broker (or none). */
  attach(node: NetNode): void {
    this.nodes.set(node.id, node)
  }

  node(id: number): NetNode | undefined {
    const n = this.nodes.get(id)
    return n === undefined || n.dead ? undefined : n
  }

  isCut(a: number, b: number): boolean {
    return this.cut.has(linkKey(a, b))
  }

  cutLink(a: number, b: number): void {
    this.cut.add(linkKey(a, b))
    this.breakWhere((c) => linkKey(c.from.id, c.to.id) === linkKey(a, b), `link ${a}-${b} cut`)
  }

  healLink(a: number, b: number): void {
    this.cut.delete(linkKey(a, b))
  }

  healAll(): void {
    this.cut.clear()
    this.dropped.clear()
    this.releaseHeld()
  }

  /** Packets from `from` to `to` are dropped until healOneWay (the other way works). */
  dropOneWay(from: number, to: number): void {
    this.dropped.add(`${from}>${to}`)
  }

  healOneWay(from: number, to: number): void {
    this.dropped.delete(`${from}>${to}`)
    this.releaseHeld()
  }

  isDropped(from: number, to: number): boolean {
    return this.dropped.has(`${from}>${to}`)
  }

  /** Resolves once packets from `from` to `to` get through (at once when they do now). */
  whenPassable(from: number, to: number): Promise<void> {
    if (!this.isDropped(from, to)) return Promise.resolve()
    return new Promise((release) => this.held.push({ from, to, release }))
  }

  /** Packets held by one-way drops. */
  get heldPackets(): number {
    return this.held.length
  }

  private releaseHeld(): void {
    const go = this.held.filter((h) => !this.isDropped(h.from, h.to))
    this.held = this.held.filter((h) => this.isDropped(h.from, h.to))
    for (const h of go) h.release()
  }

  cutLinks(): string[] {
    return [...this.cut].sort()
  }

  /** A process died: every call it made or was serving is lost. */
  processDied(node: NetNode): void {
    this.breakWhere((c) => c.from === node || c.to === node, `broker ${node.id} died`)
  }

  private breakWhere(match: (c: InFlight) => boolean, why: string): void {
    for (const c of [...this.inFlight]) {
      if (!match(c)) continue
      this.inFlight.delete(c)
      this.refused++
      c.fail(new Error(`connection reset: ${why}`))
    }
  }

  private hop(): Promise<void> {
    this.hops++
    return new Promise((resolve) =>
      setImmediate(() => {
        this.hops--
        resolve()
      }),
    )
  }

  /**
   * Runs `call` on broker `to` for `from`: refused when the link is cut or `to` is down; the answer
   * is lost (rejects) when the link is cut, either side dies, or `abandon` fires first.
   */
  call<T>(
    from: NetNode,
    toId: number,
    call: (to: NetNode) => Promise<T> | T,
    abandon?: (fail: (err: Error) => void) => void,
  ): Promise<T> {
    const to = this.node(toId)
    if (from.dead || to === undefined || this.isCut(from.id, toId)) {
      this.refused++
      return Promise.reject(new Error(`ECONNREFUSED: broker ${from.id} -> ${toId}`))
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const entry: InFlight = {
        from,
        to,
        fail: (err) => {
          if (settled) return
          settled = true
          reject(err)
        },
      }
      this.inFlight.add(entry)
      abandon?.(entry.fail)
      // Each way takes a turn of the event loop, as a socket does: a caller that loops on
      // immediate answers spins the event loop (which the simulation notices) rather than
      // starving it of every other event.
      // A request held by a one-way drop is lost with its connection if that breaks meanwhile.
      const sent = this.isDropped(from.id, to.id)
        ? this.whenPassable(from.id, to.id).then(() => {
            if (settled) throw new Error('connection reset before the request arrived')
            return this.hop()
          })
        : this.hop()
      sent
        .then(() => call(to))
        .then(async (v) => {
          if (this.isDropped(to.id, from.id)) await this.whenPassable(to.id, from.id)
          await this.hop()
          return v
        })
        .then(
          (v) => {
            this.inFlight.delete(entry)
            if (settled) return
            if (from.dead || to.dead || this.isCut(from.id, to.id))
              return entry.fail(new Error('answer lost'))
            settled = true
            resolve(v)
          },
          (err) => {
            this.inFlight.delete(entry)
            entry.fail(err instanceof Error ? err : new Error(String(err)))
          },
        )
    })
  }
}

/** A follower's endpoint to one leader broker over the SimNetwork (one per fetcher thread). */
export class InMemoryLeaderEndPoint implements LeaderEndPoint {
  readonly leaderId: number
  private readonly net: SimNetwork
  private readonly self: NetNode
  private closed = false
  private readonly open = new Set<(err: Error) => void>()

  constructor(net: SimNetwork, self: NetNode, leaderId: number) {
    this.net = net
    this.self = self
    this.leaderId = leaderId
  }

  fetch(partitions: readonly FetchPartitionRequest[], o: FetchOptions): Promise<FetchPartitionData[]> {
    const inputs: FetchPartitionInput[] = partitions.map((p) => ({
      // Fetch v13+: partitions named by topic id only.
      topic: null,
      topicId: p.topicId,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: p.partitionMaxBytes,
      currentLeaderEpoch: p.currentLeaderEpoch,
      lastFetchedEpoch: p.lastFetchedEpoch,
      logStartOffset: p.logStartOffset,
    }))
    return this.track((leader) =>
      leader.rm
        .fetch(
          {
            replicaId: this.self.id,
            replicaEpoch: this.self.epoch,
            maxWaitMs: o.maxWaitMs,
            minBytes: o.minBytes,
            maxBytes: o.maxBytes,
            isolationLevel: 0,
          },
          inputs,
        )
        .then((results) => {
          this.net.remember(
            `fetch ${this.self.id}->${this.leaderId}: ${partitions
              .map((p, i) => {
                const r = results[i]!
                const d = r.divergingEpoch
                return `${p.topic}-${p.partition}@${p.currentLeaderEpoch} from ${p.fetchOffset} (last epoch ${p.lastFetchedEpoch}) => err ${r.errorCode} ${r.records.length}B hw ${r.highWatermark}${d === null ? '' : ` diverging ${d.epoch}/${d.endOffset}`}`
              })
              .join(', ')}`,
          )
          return results.map((r, i) => ({
            topic: partitions[i]!.topic,
            topicId: partitions[i]!.topicId,
            partition: partitions[i]!.partition,
            errorCode: r.errorCode,
            highWatermark: r.highWatermark,
            logStartOffset: r.logStartOffset,
            // Over the wire: the follower gets its own copy of the bytes.
            records: r.records.length === 0 ? null : Buffer.from(r.records),
            divergingEpoch: r.divergingEpoch,
          }))
        }),
    )
  }

  fetchEarliestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.listOffset(topic, partition, currentLeaderEpoch, ListOffsetsTimestamp.earliest)
  }

  fetchLatestOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<bigint> {
    return this.listOffset(topic, partition, currentLeaderEpoch, ListOffsetsTimestamp.latest)
  }

  close(): void {
    this.closed = true
    for (const fail of [...this.open]) fail(new Error('endpoint closed'))
  }

  private listOffset(topic: string, partition: number, epoch: number, ts: bigint): Promise<bigint> {
    return this.track(async (leader) => {
      const part = leader.rm.partition(topic, partition)
      if (part === null)
        throw new LeaderPartitionError(leader.rm.missingPartitionError(topic, partition), 'not hosted')
      const r = await part.offsetForTimestamp(ts, null, epoch)
      this.net.listOffsets++
      this.net.remember(
        `list offsets ${this.self.id}->${this.leaderId}: ${topic}-${partition} ${ts} => err ${r.errorCode} ${r.offset}`,
      )
      if (r.errorCode !== ErrorCode.NONE) throw new LeaderPartitionError(r.errorCode, `ListOffsets ${ts}`)
      return r.offset
    })
  }

  private track<T>(fn: (leader: NetNode) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('endpoint closed'))
    let mine: ((err: Error) => void) | null = null
    const p = this.net.call(this.self, this.leaderId, fn, (fail) => {
      mine = fail
      this.open.add(fail)
    })
    const done = (): void => {
      if (mine !== null) this.open.delete(mine)
    }
    p.then(done, done)
    return p
  }
}
