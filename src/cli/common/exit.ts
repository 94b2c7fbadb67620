// How a tool stops early. Kafka's tools call System.exit from deep inside their option checks; here
// a ToolExit is thrown instead and the command runner prints what it carries and exits with its code,
// so tests can run a tool in-process.

import { formatHelp } from '../args/help.ts'
import type { OptionDef } from '../args/option-parser.ts'

export class ToolExit extends Error {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  constructor(code: number, stderr = '', stdout = '') {
    super(stderr.trim() || `exit ${code}`)
    this.name = 'ToolExit'
    this.code = code
    this.stdout = stdout
    this.stderr = stderr
  }
}

/** Kafka's CommandLineUtils.printUsageAndExit: the message, then the usage, on stderr; exit 1. */
export function usageExit(defs: readonly OptionDef[], message: string): never {
  throw new ToolExit(1, `${message}\n${formatHelp(defs)}`)
}

/** A one-line error on stderr and exit 1. */
export function failExit(message: string): never {
  throw new ToolExit(1, `${message}\n`)
}
