// Where config values come from (a .properties file, `--override key=value` arguments, an object
// passed to the embedded broker) and how a problem with one of them is reported: one line, naming the
// file and line when there is one, then Kafka's wording.

import { parseProperties } from './properties.ts'

export interface ConfigInput {
  readonly key: string
  readonly value: string
  /** e.g. `config/server.properties`, `--override`, `startBroker()`. */
  readonly source?: string
  /** 1-based line in `source`, when it is a file. */
  readonly line?: number
}

export interface ConfigProblem {
  /** The config key concerned ('' when the problem is not about one key). */
  readonly key: string
  readonly message: string
  readonly source?: string
  readonly line?: number
}

/** `config/server.properties:12: Invalid value abc for configuration num.partitions: …` */
export function formatProblem(p: ConfigProblem): string {
  const where =
    p.source === undefined ? '' : p.line === undefined ? `${p.source}: ` : `${p.source}:${p.line}: `
  return `${where}${p.message}`
}

/** The pairs of a .properties text, tagged with their source. Throws PropertiesSyntaxError. */
export function inputsFromProperties(text: string, source: string): ConfigInput[] {
  return parseProperties(text).map((p) => ({ key: p.key, value: p.value, source, line: p.line }))
}

/** Inputs from a plain object (the embedded broker's `config` option); arrays become lists. */
export function inputsFromObject(
  obj: Readonly<Record<string, string | number | boolean | readonly string[] | null | undefined>>,
  source = 'config',
): ConfigInput[] {
  const out: ConfigInput[] = []
  for (const [key, v] of Object.entries(obj)) {
    if (v === undefined || v === null) continue
    out.push({ key, value: Array.isArray(v) ? v.join(',') : String(v), source })
  }
  return out
}

export interface ParsedArgs {
  /** The positional arguments (normally the one properties file). */
  readonly positionals: string[]
  readonly overrides: ConfigInput[]
  readonly daemon: boolean
  readonly errors: ConfigProblem[]
}

/**
 * kafka-server-start.sh's arguments: `[-daemon] server.properties [--override key=value]...`.
 * `--override=key=value` is accepted too. The value is everything after the first '=' and may be
 * empty; an argument without '=' is an error, as in Kafka.
 */
export function parseServerArgs(args: readonly string[]): ParsedArgs {
  const positionals: string[] = []
  const overrides: ConfigInput[] = []
  const errors: ConfigProblem[] = []
  let daemon = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    let kv: string | undefined
    if (a === '--override') {
      kv = args[++i]
      if (kv === undefined) {
        errors.push({
          key: '',
          message: 'Option --override requires an argument of the form key=value',
          source: '--override',
        })
        break
      }
    } else if (a.startsWith('--override=')) {
      kv = a.slice('--override='.length)
    } else if (a === '-daemon' || a === '--daemon') {
      daemon = true
      continue
    } else if (a.startsWith('-') && a !== '-') {
      errors.push({
        key: '',
        message: `Unknown option ${a}; expected [-daemon] server.properties [--override property=value]*`,
      })
      continue
    } else {
      positionals.push(a)
      continue
    }
    const eq = kv.indexOf('=')
    if (eq <= 0) {
      errors.push({
        key: '',
        message: `Invalid command line properties: ${kv} (expected key=value)`,
        source: '--override',
      })
      continue
    }
    overrides.push({ key: kv.slice(0, eq).trim(), value: kv.slice(eq + 1), source: '--override' })
  }
  return { positionals, overrides, daemon, errors }
}
