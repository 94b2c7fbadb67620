// Helpers for end-to-end tests that drive real third-party clients (kcat, /usr/bin/python3 with
// kafka-python or confluent-kafka) as child processes against a broker started by
// broker-process.ts, and read back what the broker stored on disk.

import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { BATCH_HEADER_SIZE, type BatchHeader } from '../../src/records/batch-header.ts'
import { readBatches } from '../../src/records/record-iterator.ts'

export const PYTHON = '/usr/bin/python3'
export const PY_DIR = join(import.meta.dirname, '../e2e/py')

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  input?: string | Buffer
  timeoutMs?: number
  env?: Record<string, string>
}

/** Runs a command to completion (killed after timeoutMs) and collects its output. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

/** Runs a command and throws (with its output) unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts)
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    )
  }
  return r
}

/** kcat against the broker; -m bounds metadata waits so a broken broker fails fast. */
export function kcat(bootstrap: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runOk('kcat', ['-b', bootstrap, '-m', '10', ...args], opts)
}

/** kcat -C ... -J -e: one parsed JSON envelope per consumed message. */
export async function kcatConsumeJson(bootstrap: string, args: readonly string[]): Promise<KcatMessage[]> {
  // A short fetch wait: -e exits on the empty fetch at the end, which otherwise waits 500 ms.
  const r = await kcat(bootstrap, ['-C', '-J', '-e', '-q', '-X', 'fetch.wait.max.ms=50', ...args])
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as KcatMessage)
}

export interface KcatMessage {
  topic: string
  partition: number
  offset: number
  tstype: string
  ts: number
  broker: number
  headers?: string[]
  key: string | null
  payload: string | null
}

/**
 * Runs test/e2e/py/<script> with /usr/bin/python3 and parses the last stdout line as JSON (the
 * scripts print one JSON result document at the end; anything before it is diagnostics).
 */
export async function python<T = unknown>(
  script: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<T> {
  const r = await runOk(PYTHON, [join(PY_DIR, script), ...args], { timeoutMs: 60000, ...opts })
  const lines = r.stdout.trim().split('\n')
  try {
    return JSON.parse(lines[lines.length - 1]) as T
  } catch {
    throw new Error(`${script} printed no JSON result\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`)
  }
}

/**
 * One step of a client script taking `<bootstrap> <step>` in argv and its arguments as JSON on
 * stdin (test/e2e/py/kafka_python_client.py, confluent_client.py).
 */
export function pyStep<T = unknown>(
  script: string,
  bootstrap: string,
  step: string,
  args: unknown = {},
): Promise<T> {
  return python<T>(script, [bootstrap, step], { input: JSON.stringify(args) })
}

/** Resident set size of a process in KiB, from /proc/<pid>/status (Linux). */
export function vmRssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1])
}

/** Open file descriptors of a process (Linux). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Descriptors of a process open on segment files (`.log`) under `dir` (Linux). */
export function openLogFiles(pid: number, dir: string): number {
  let n = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const p = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (p.startsWith(dir) && p.endsWith('.log')) n++
    } catch {} // closed since the listing
  }
  return n
}

/** Header fields of every batch stored on disk for one partition, in offset order. */
export interface StoredBatch {
  baseOffset: bigint
  lastOffset: bigint
  compression: number
  recordsCount: number
  producerId: bigint
  baseSequence: number
  logAppendTime: boolean
  /** The batch's records section as stored (compressed when the batch is). */
  records: Buffer
}

export function storedBatches(dataDir: string, topic: string, partition: number): StoredBatch[] {
  const dir = join(dataDir, `${topic}-${partition}`)
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  const out: StoredBatch[] = []
  for (const f of logs) {
    const buf = readFileSync(join(dir, f))
    for (const h of readBatches(buf) as Iterable<BatchHeader>) {
      out.push({
        baseOffset: h.baseOffset,
        lastOffset: h.lastOffset,
        compression: h.compression,
        recordsCount: h.recordsCount,
        producerId: h.producerId,
        baseSequence: h.baseSequence,
        logAppendTime: h.isLogAppendTime,
        records: buf.subarray(h.pos + BATCH_HEADER_SIZE, h.pos + h.size),
      })
    }
  }
  return out
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
