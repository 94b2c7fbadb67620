// What every Kafka-style tool does first: parse the options (an unknown or malformed option is one
// line and exit 1), and answer --help (the tool's one-line purpose, then the usage, exit 1 as
// Kafka's CommandLineUtils does) and --version (exit 0).

import { type OptionDef, OptionError, OptionParser, type ParsedOptions } from '../args/option-parser.ts'
import { ToolExit, usageExit } from './exit.ts'
import { VERSION } from './version.ts'

export const HELP_OPTIONS: readonly OptionDef[] = [
  { name: 'help', help: 'Print usage information.' },
  { name: 'version', help: 'Display Kafka version.' },
]

export interface ParseSettings {
  /** Printed above the usage for --help (and for no arguments when usageOnEmpty). */
  purpose: string
  /** No arguments at all: print the usage with this message (default: purpose). */
  emptyMessage?: string
  /** How an option error is reported: one line (default), or the line plus the usage. */
  onOptionError?: 'line' | 'usage'
  /** Put before the one-line option error (GetOffsetShell says `Error occurred: `). */
  optionErrorPrefix?: string
}

export function parseCommandLine(
  defs: readonly OptionDef[],
  argv: readonly string[],
  settings: ParseSettings,
): ParsedOptions {
  const all = [...defs, ...HELP_OPTIONS]
  if (argv.length === 0) usageExit(all, settings.emptyMessage ?? settings.purpose)
  let opts: ParsedOptions
  try {
    opts = new OptionParser(all).parse(argv)
  } catch (e) {
    if (!(e instanceof OptionError)) throw e
    if (settings.onOptionError === 'usage') usageExit(all, e.message)
    throw new ToolExit(1, `${settings.optionErrorPrefix ?? ''}${e.message}\n`)
  }
  if (opts.has('help')) usageExit(all, settings.purpose)
  if (opts.has('version')) throw new ToolExit(0, '', `${VERSION}\n`)
  return opts
}

/** Kafka's checkRequiredArgs: `Missing required argument "[name]"` plus usage. */
export function checkRequired(defs: readonly OptionDef[], opts: ParsedOptions, ...names: string[]): void {
  for (const n of names) {
    if (!opts.has(n)) usageExit([...defs, ...HELP_OPTIONS], `Missing required argument "[${n}]"`)
  }
}

/** Kafka's checkInvalidArgs: `Option "[used]" can't be used with option "[other]"` plus usage. */
export function checkInvalid(
  defs: readonly OptionDef[],
  opts: ParsedOptions,
  used: string,
  invalid: readonly string[],
): void {
  if (!opts.has(used)) return
  for (const n of invalid) {
    if (opts.has(n))
      usageExit([...defs, ...HELP_OPTIONS], `Option "[${used}]" can't be used with option "[${n}]"`)
  }
}
