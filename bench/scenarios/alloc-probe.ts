// Preloaded into a broker process (`node --import`) by bench/alloc.ts: counts the bytes the
// process allocates on the V8 heap and its garbage collections between two marks, so allocation
// per request can be measured from outside, with no change to the broker. Each SIGUSR2 appends one
// JSON line to $SAMSA_ALLOC_PROBE_DIR/<pid>.jsonl with the running totals since the start.
//
// Allocated bytes: V8 keeps no running total, so it is rebuilt from the heap's used size around
// every GC (v8.GCProfiler): what was used before a GC minus what was left after the previous one
// is what was allocated in between; the tail since the last GC comes from the used size now. A
// mark-compact's concurrent sweeping can shrink the used size between GCs, which undercounts by
// that much (small against the young generation's turnover on a request path).
//
// With $SAMSA_ALLOC_SAMPLE set, V8's sampling heap profiler runs too (one sample per ~8 KiB,
// counting objects that died young or old, which a plain --heap-prof does not), and each mark
// writes the window's profile as <pid>-<n>.heapprofile (Chrome DevTools' format): which functions
// allocated. SAMSA_ALLOC_SAMPLE=promoted samples only objects that outlived a scavenge: what
// fills the old generation and brings on mark-compacts.

import { appendFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'
import { GCProfiler, getHeapStatistics } from 'node:v8'

const dir = process.env.SAMSA_ALLOC_PROBE_DIR
if (dir !== undefined && dir !== '') {
  const out = join(dir, `${process.pid}.jsonl`)
  let profiler = new GCProfiler()
  profiler.start()
  let lastUsed = getHeapStatistics().used_heap_size
  let allocated = 0
  const gcs: Record<string, number> = {}
  let marks = 0

  let session: Session | null = null
  // 'promoted': only objects that outlived a scavenge (what fills the old generation).
  const sampling = {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.SAMSA_ALLOC_SAMPLE !== 'promoted',
  }
  if (process.env.SAMSA_ALLOC_SAMPLE) {
    session = new Session()
    session.connect()
    session.post('HeapProfiler.startSampling', sampling)
  }

  process.on('SIGUSR2', () => {
    const now = getHeapStatistics().used_heap_size
    const stats = profiler.stop()
    for (const s of stats?.statistics ?? []) {
      allocated += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - lastUsed)
      lastUsed = s.afterGC.heapStatistics.usedHeapSize
      gcs[s.gcType] = (gcs[s.gcType] ?? 0) + 1
    }
    allocated += Math.max(0, now - lastUsed)
    lastUsed = now
    const n = marks++
    appendFileSync(out, `${JSON.stringify({ pid: process.pid, mark: n, allocated, gcs })}\n`)
    if (session !== null) {
      const s = session
      s.post('HeapProfiler.stopSampling', (err, r) => {
        if (err === null && r !== undefined)
          writeFileSync(join(dir, `${process.pid}-${n}.heapprofile`), JSON.stringify(r.profile))
        s.post('HeapProfiler.startSampling', sampling)
      })
    }
    // Started after the line is written, so the profiler's own result objects count in the next
    // window (a few KB per GC, against tens of MB).
    profiler = new GCProfiler()
    profiler.start()
    lastUsed = getHeapStatistics().used_heap_size
  })
}
