// The other option style among Kafka's tools: kafka-producer-perf-test.sh uses argparse4j (Python
// argparse's Java port), not joptsimple. Its conventions, reproduced here:
//
// - `--name value` or `--name=value`; unambiguous prefixes accepted; `-h`/`--help` prints the help
//   and exits 0;
// - nargs '+' options take every following token up to the next option;
// - required options and a required mutually exclusive group;
// - errors are the usage line(s) then `<prog>: error: <message>` on stderr, exit 1.

import { ToolExit } from '../common/exit.ts'

export interface ArgDef {
  name: string
  /** Shown in usage: `--topic TOPIC`. Absent for store-true flags. */
  metavar?: string
  help: string
  required?: boolean
  /** 'one' (default for options with a metavar) or 'many' (nargs "+"). */
  nargs?: 'one' | 'many'
  type?: 'String' | 'Long' | 'Integer' | 'Double'
  defaultValue?: string
  /** Options in one required, mutually exclusive group share a group name. */
  group?: string
}

export interface ArgParserSpec {
  prog: string
  description: string
  args: readonly ArgDef[]
  /** Group name → description, for required mutually exclusive groups. */
  groups?: Readonly<Record<string, string>>
}

export type Namespace = Map<string, string[] | true>

const USAGE_WIDTH = 80

function usageTokens(spec: ArgParserSpec): string[] {
  const tokens = ['[-h]']
  const done = new Set<string>()
  for (const a of spec.args) {
    if (a.group !== undefined) {
      if (done.has(a.group)) continue
      done.add(a.group)
      const members = spec.args
        .filter((x) => x.group === a.group)
        .map((x) => (x.metavar ? `--${x.name} ${x.metavar}` : `--${x.name}`))
      tokens.push(`(${members.join(' | ')})`)
      continue
    }
    let t = a.metavar === undefined ? `--${a.name}` : `--${a.name} ${a.metavar}`
    if (a.nargs === 'many') t = `--${a.name} ${a.metavar} [${a.metavar} ...]`
    tokens.push(a.required ? t : `[${t}]`)
  }
  return tokens
}

/** `usage: prog [-h] ...`, wrapped under the program name as argparse does. */
export function usageLine(spec: ArgParserSpec): string {
  const head = `usage: ${spec.prog} `
  const lines: string[] = []
  let line = head
  for (const t of usageTokens(spec)) {
    if (line.length + t.length > USAGE_WIDTH && line.trim() !== head.trim()) {
      lines.push(line.trimEnd())
      line = ' '.repeat(head.length)
    }
    line += `${t} `
  }
  lines.push(line.trimEnd())
  return `${lines.join('\n')}\n`
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/).filter((w) => w !== '')
  const lines: string[] = []
  let line = ''
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > width) {
      lines.push(line)
      line = w
    } else line = line === '' ? w : `${line} ${w}`
  }
  if (line !== '') lines.push(line)
  return lines.map((l) => indent + l).join('\n')
}

export function helpText(spec: ArgParserSpec): string {
  let out = `${usageLine(spec)}\n${wrap(spec.description, USAGE_WIDTH, '')}\n\n`
  const entry = (a: ArgDef) => {
    const name = a.metavar === undefined ? `--${a.name}` : `--${a.name} ${a.metavar}`
    const help = a.defaultValue === undefined ? a.help : `${a.help} (default: ${a.defaultValue})`
    return `  ${name}\n${wrap(help, USAGE_WIDTH - 24, ' '.repeat(24))}\n`
  }
  out +=
    'required arguments:\n' +
    spec.args
      .filter((a) => a.required)
      .map(entry)
      .join('') +
    '\n'
  out += `optional arguments:\n  -h, --help\n${wrap('show this help message and exit', USAGE_WIDTH - 24, ' '.repeat(24))}\n`
  out += spec.args
    .filter((a) => !a.required && a.group === undefined)
    .map(entry)
    .join('')
  for (const [g, description] of Object.entries(spec.groups ?? {})) {
    out += `\n${g}:\n${wrap(description, USAGE_WIDTH - 2, '  ')}\n\n`
    out += spec.args
      .filter((a) => a.group === g)
      .map(entry)
      .join('')
  }
  return out
}

export function argparseError(spec: ArgParserSpec, message: string): never {
  throw new ToolExit(1, `${usageLine(spec)}${spec.prog}: error: ${message}\n`)
}

const NUMBER = /^[+-]?\d+$/

export function parseArgs(spec: ArgParserSpec, argv: readonly string[]): Namespace {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) {
    throw new ToolExit(0, '', helpText(spec))
  }
  const ns: Namespace = new Map()
  const resolve = (name: string): ArgDef => {
    const exact = spec.args.find((a) => a.name === name)
    if (exact !== undefined) return exact
    const matches = spec.args.filter((a) => a.name.startsWith(name))
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) {
      argparseError(
        spec,
        `ambiguous option: --${name} could match ${matches.map((m) => `--${m.name}`).join(', ')}`,
      )
    }
    argparseError(spec, `unrecognized arguments: '--${name}'`)
  }
  const unrecognized: string[] = []
  let i = 0
  while (i < argv.length) {
    const token = argv[i++]
    if (!token.startsWith('--')) {
      unrecognized.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const def = resolve(token.slice(2, eq === -1 ? undefined : eq))
    if (def.metavar === undefined) {
      ns.set(def.name, true)
      continue
    }
    const values: string[] = []
    if (eq !== -1) values.push(token.slice(eq + 1))
    else if (def.nargs === 'many') {
      while (i < argv.length && !argv[i].startsWith('--')) values.push(argv[i++])
      if (values.length === 0) argparseError(spec, `argument --${def.name}: expected at least one argument`)
    } else {
      if (i >= argv.length || (argv[i].startsWith('--') && argv[i].length > 2)) {
        argparseError(spec, `argument --${def.name}: expected one argument`)
      }
      values.push(argv[i++])
    }
    for (const v of values) {
      const bad =
        ((def.type === 'Long' || def.type === 'Integer') && !NUMBER.test(v)) ||
        (def.type === 'Double' && (v.trim() === '' || !Number.isFinite(Number(v))))
      if (bad) argparseError(spec, `argument --${def.name}: could not convert '${v}' to ${def.type}`)
    }
    ns.set(def.name, values)
  }
  if (unrecognized.length > 0) argparseError(spec, `unrecognized arguments: '${unrecognized.join(' ')}'`)
  for (const [g] of Object.entries(spec.groups ?? {})) {
    const present = spec.args.filter((a) => a.group === g && ns.has(a.name))
    if (present.length > 1)
      argparseError(spec, `argument --${present[1].name}: not allowed with argument --${present[0].name}`)
  }
  for (const a of spec.args) {
    if (a.required && !ns.has(a.name)) argparseError(spec, `argument --${a.name} is required`)
  }
  for (const [g] of Object.entries(spec.groups ?? {})) {
    if (!spec.args.some((a) => a.group === g && ns.has(a.name))) {
      argparseError(
        spec,
        `one of the arguments ${spec.args
          .filter((a) => a.group === g)
          .map((a) => `--${a.name}`)
          .join(' ')} is required`,
      )
    }
  }
  return ns
}

/** The single value of an option, or its default. */
export function single(ns: Namespace, spec: ArgParserSpec, name: string): string | undefined {
  const v = ns.get(name)
  if (Array.isArray(v)) return v[0]
  return spec.args.find((a) => a.name === name)?.defaultValue
}
