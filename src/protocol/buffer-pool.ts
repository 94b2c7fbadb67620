// A bounded pool of large buffers, reused instead of allocated for every request.
//
// Why: a 1 MiB produce request body, or a fetch read, allocated fresh each time is memory outside
// the JS heap that V8 only reclaims by a full mark-compact, and V8 starts one after every ~64 MiB
// of such growth: at 400 MiB/s of produce that was a full GC 6-10 times a second (14 % of the
// broker's CPU, and 5-10 ms pauses in the latency tail). Buffers that go back to the pool make no
// new external memory, so there is nothing to collect.
//
// Size classes are powers of two from MIN_CLASS to MAX_CLASS; acquire(n) returns a view of exactly
// n bytes over a slab of the smallest class that holds n. Sizes outside the classes are plain
// allocations, and release() ignores any buffer whose memory the pool did not allocate, so callers
// may release whatever they acquired without checking where it came from. Free slabs are kept up
// to `maxIdleBytes` in all; beyond that a released slab is left to the GC. The pool never bounds
// what is in use: that is the job of back-pressure (reads pause while requests are in flight).
//
// Contract: release a buffer only when nothing can read or write it any more (the pool hands the
// same memory out again at once). A buffer released twice is kept only once. A holder that keeps a
// view of someone else's pooled buffer (the log's tail cache keeps produce bodies for followers)
// calls retain() first and release() when done: the slab goes back only after the last release.

// 4 KiB: below this Buffer.allocUnsafe carves from Node's own 8 KiB slabs; from 4 KiB up it makes a
// new ArrayBuffer each time, external memory that only a mark-compact may free (see the header).
const MIN_SHIFT = 12
const MAX_SHIFT = 24 // 16 MiB
export const MIN_CLASS = 1 << MIN_SHIFT
export const MAX_CLASS = 1 << MAX_SHIFT

export interface BufferPoolOptions {
  /** Free slabs kept for reuse, in bytes over all classes (default 64 MiB). */
  maxIdleBytes?: number
}

export class BufferPool {
  readonly maxIdleBytes: number
  /** free[k]: idle slabs of 2^(MIN_SHIFT + k) bytes. */
  private readonly free: ArrayBuffer[][] = []
  /** Slabs this pool allocated (so foreign buffers are never taken in). */
  private readonly owned = new WeakSet<ArrayBuffer>()
  /** Slabs currently idle (guards against a double release). */
  private readonly idle = new WeakSet<ArrayBuffer>()
  /** Holders beyond the first (retain() calls not yet released), by slab. */
  private readonly extraRefs = new WeakMap<ArrayBuffer, number>()
  private idleBytes = 0
  /** Counters for tests and benchmarks. */
  allocated = 0
  reused = 0
  /** Idle slabs let go to make room for another size (makeRoom). */
  dropped = 0

  constructor(options: BufferPoolOptions = {}) {
    this.maxIdleBytes = options.maxIdleBytes ?? 64 * 1024 * 1024
    for (let s = MIN_SHIFT; s <= MAX_SHIFT; s++) this.free.push([])
  }

  /** Bytes held in idle slabs. */
  get idleSize(): number {
    return this.idleBytes
  }

  /** n bytes of uninitialised memory. */
  acquire(n: number): Buffer {
    if (n > MAX_CLASS) return Buffer.allocUnsafeSlow(n)
    if (n < MIN_CLASS) return Buffer.allocUnsafe(n)
    const k = classOf(n)
    const list = this.free[k]
    let slab = list.pop()
    if (slab !== undefined) {
      this.idle.delete(slab)
      this.idleBytes -= slab.byteLength
      this.reused++
    } else {
      slab = Buffer.allocUnsafeSlow(1 << (MIN_SHIFT + k)).buffer as ArrayBuffer
      this.owned.add(slab)
      this.allocated++
    }
    return Buffer.from(slab, 0, n)
  }

  /** One more holder of a buffer from acquire() (or of a view of one); a no-op on foreign memory. */
  retain(buf: Uint8Array): void {
    const slab = buf.buffer
    if (!(slab instanceof ArrayBuffer) || !this.owned.has(slab) || this.idle.has(slab)) return
    this.extraRefs.set(slab, (this.extraRefs.get(slab) ?? 0) + 1)
  }

  /** Gives back a buffer from acquire(); see the contract in the header. */
  release(buf: Uint8Array): void {
    const slab = buf.buffer
    if (!(slab instanceof ArrayBuffer) || !this.owned.has(slab) || this.idle.has(slab)) return
    const extra = this.extraRefs.get(slab)
    if (extra !== undefined) {
      if (extra > 1) this.extraRefs.set(slab, extra - 1)
      else this.extraRefs.delete(slab)
      return
    }
    if (this.idleBytes + slab.byteLength > this.maxIdleBytes && !this.makeRoom(slab.byteLength)) return
    this.idle.add(slab)
    this.idleBytes += slab.byteLength
    this.free[classOf(slab.byteLength)].push(slab)
  }

  /**
   * Makes room for an idle slab of `bytes` by dropping idle slabs of the other classes, from the
   * class holding the most bytes; false (nothing dropped) when even that would not make room. Why:
   * without it the first burst that fills the idle budget (a produce burst leaves 64 MiB of idle
   * 1 MiB slabs) keeps every other size out for good, and each acquire of another size is then new
   * memory — external memory for V8 to collect, and slow first-touched pages on these VMs.
   */
  private makeRoom(bytes: number): boolean {
    const own = this.free[classOf(bytes)].length * bytes
    if (own + bytes > this.maxIdleBytes) return false
    while (this.idleBytes + bytes > this.maxIdleBytes) {
      let fullest = -1
      let most = 0
      for (let j = 0; j < this.free.length; j++) {
        const held = this.free[j].length * (1 << (MIN_SHIFT + j))
        if (1 << (MIN_SHIFT + j) !== bytes && held > most) {
          most = held
          fullest = j
        }
      }
      const dropped = this.free[fullest].pop() as ArrayBuffer
      this.idle.delete(dropped)
      this.idleBytes -= dropped.byteLength
      this.dropped++
    }
    return true
  }
}

/** Index of the smallest class holding n bytes (MIN_CLASS <= n <= MAX_CLASS). */
function classOf(n: number): number {
  return Math.max(0, 32 - Math.clz32(n - 1) - MIN_SHIFT)
}

/** The broker's pool: request bodies (network) and fetch reads share it. */
export const sharedBufferPool = new BufferPool()
