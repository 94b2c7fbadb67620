// Where a tool reads and writes: the process's streams in real use, buffers in tests. Output goes
// through here so unit tests can run a whole tool and compare its output line for line.

import type { Readable } from 'node:stream'

export interface Io {
  /** Writes to standard output as given (callers add the newlines). */
  out(text: string | Uint8Array): void
  /** Writes to standard error as given. */
  err(text: string): void
  /** Standard input, for the console producer. */
  stdin: Readable
  /** True when standard input is a terminal (the console producer then prints a '>' prompt). */
  stdinIsTTY: boolean
  env: Record<string, string | undefined>
  /** The working directory relative paths are resolved against. */
  cwd: string
}

/** True once a write to standard output failed (the reader went away: `| head`). */
let stdoutBroken = false

export function stdoutFailed(): boolean {
  return stdoutBroken
}

export function processIo(): Io {
  process.stdout.on('error', () => {
    stdoutBroken = true
  })
  return {
    out: (t) => {
      if (!stdoutBroken) process.stdout.write(t)
    },
    err: (t) => {
      process.stderr.write(t)
    },
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  }
}

/** An Io that records everything, for tests. */
export interface CapturedIo extends Io {
  stdout(): string
  stderr(): string
}

export function captureIo(
  stdin: Readable,
  env: Record<string, string | undefined> = {},
  cwd = '.',
): CapturedIo {
  const out: Buffer[] = []
  let err = ''
  return {
    out: (t) => {
      out.push(typeof t === 'string' ? Buffer.from(t) : Buffer.from(t))
    },
    err: (t) => {
      err += t
    },
    stdin,
    stdinIsTTY: false,
    env,
    cwd,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => err,
  }
}
