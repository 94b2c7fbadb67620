// Command-line options the way Kafka's tools read them (they use the joptsimple library):
//
// - Options are long names: `--partitions 3` or `--partitions=3`. A single dash works too when what
//   follows is a whole option name (`-topic t`); otherwise each letter is an option (and Kafka's
//   tools have none, so that is an error naming the first letter).
// - An unambiguous prefix names an option (`--partition 1` is `--partitions 1`); an exact name wins
//   over longer names it prefixes. An ambiguous or unknown name is refused as joptsimple refuses it:
//   `<name> is not a recognized option`.
// - An option with a required argument takes the next token whatever it looks like; one with an
//   optional argument takes the next token only if it does not look like an option.
// - `--` ends the options; everything else that is not an option is a non-option argument, which
//   Kafka's tools ignore.
// - Values repeat (`--config a=1 --config b=2`); a value separator splits one token into several.
// - Typed options (Integer, Long, Double) are checked here: `Cannot parse argument 'x' of option y`.
// - `availableIf`: an option only allowed together with one of the listed ones
//   (`Option(s) [members] are unavailable given other options on the command line`).
//
// Error messages are joptsimple's, word for word, so scripts that grep Kafka's errors still work.

export type ArgType = 'String' | 'Integer' | 'Long' | 'Double'

export interface OptionDef {
  name: string
  /** The description shown in the usage text. */
  help?: string
  /** Absent: a flag. */
  arg?: 'required' | 'optional'
  /** What the argument is, shown as `<Type: describedAs>`. */
  describedAs?: string
  type?: ArgType
  /** Used by value() when the option is absent; shown as `(default: ...)`. */
  defaultValue?: string
  /** Splits each occurrence's argument into several values. */
  separator?: string
  /** Allowed only when one of these options is present. */
  availableIf?: readonly string[]
  /** Never listed in the usage text. */
  hidden?: boolean
}

export class OptionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OptionError'
  }
}

export interface ParserOptions {
  /** Accept unambiguous prefixes (default true). */
  abbreviations?: boolean
}

const INTEGER = /^[+-]?\d+$/
const INT_MIN = -2147483648
const INT_MAX = 2147483647
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n

function convertible(type: ArgType | undefined, v: string): boolean {
  switch (type) {
    case 'Integer': {
      if (!INTEGER.test(v)) return false
      const n = Number(v)
      return n >= INT_MIN && n <= INT_MAX
    }
    case 'Long': {
      if (!INTEGER.test(v)) return false
      const n = BigInt(v)
      return n >= LONG_MIN && n <= LONG_MAX
    }
    case 'Double':
      return v.trim() !== '' && Number.isFinite(Number(v))
    default:
      return true
  }
}

const looksLikeOption = (token: string): boolean => token.startsWith('-') && token !== '-' && token !== '--'

export class ParsedOptions {
  private readonly present = new Map<string, string[]>()
  private readonly defs: ReadonlyMap<string, OptionDef>
  /** Arguments that are not options, in order. */
  readonly nonOptions: string[] = []
  /** Option names in the order they were first given. */
  readonly order: string[] = []
  /** Every occurrence in command-line order (an option given twice appears twice). */
  readonly occurrences: { name: string; values: string[] }[] = []

  constructor(defs: ReadonlyMap<string, OptionDef>) {
    this.defs = defs
  }

  /** @internal */
  add(name: string, values: string[]): void {
    this.occurrences.push({ name, values })
    let list = this.present.get(name)
    if (list === undefined) {
      list = []
      this.present.set(name, list)
      this.order.push(name)
    }
    list.push(...values)
  }

  has(name: string): boolean {
    this.check(name)
    return this.present.has(name)
  }

  /** The first value given, else the default, else undefined. */
  value(name: string): string | undefined {
    this.check(name)
    const given = this.present.get(name)
    if (given !== undefined && given.length > 0) return given[0]
    if (given !== undefined) return undefined
    return this.defs.get(name)?.defaultValue
  }

  /** Every value given (all occurrences), else the default as a one-element list, else []. */
  values(name: string): string[] {
    this.check(name)
    const given = this.present.get(name)
    if (given !== undefined) return [...given]
    const d = this.defs.get(name)?.defaultValue
    return d === undefined ? [] : [d]
  }

  /** value() as a number (Integer or Double options). */
  number(name: string): number | undefined {
    const v = this.value(name)
    return v === undefined ? undefined : Number(v)
  }

  /** value() as a bigint (Long options). */
  bigint(name: string): bigint | undefined {
    const v = this.value(name)
    return v === undefined ? undefined : BigInt(v)
  }

  private check(name: string): void {
    if (!this.defs.has(name)) throw new Error(`option ${name} is not defined`)
  }
}

export class OptionParser {
  readonly defs: readonly OptionDef[]
  private readonly byName = new Map<string, OptionDef>()
  private readonly abbreviations: boolean

  constructor(defs: readonly OptionDef[], options: ParserOptions = {}) {
    this.defs = defs
    for (const d of defs) {
      if (this.byName.has(d.name)) throw new Error(`option ${d.name} defined twice`)
      this.byName.set(d.name, d)
    }
    this.abbreviations = options.abbreviations ?? true
  }

  /** The option a name stands for: itself, or the only option it is a prefix of; else null. */
  resolve(name: string): OptionDef | null {
    const exact = this.byName.get(name)
    if (exact !== undefined) return exact
    if (!this.abbreviations || name === '') return null
    let found: OptionDef | null = null
    for (const d of this.defs) {
      if (!d.name.startsWith(name)) continue
      if (found !== null) return null
      found = d
    }
    return found
  }

  parse(argv: readonly string[]): ParsedOptions {
    const set = new ParsedOptions(this.byName)
    let i = 0
    let optionsEnded = false
    while (i < argv.length) {
      const token = argv[i++]
      if (optionsEnded || !looksLikeOption(token)) {
        if (!optionsEnded && token === '--') optionsEnded = true
        else set.nonOptions.push(token)
        continue
      }
      const long = token.startsWith('--')
      const body = token.slice(long ? 2 : 1)
      const eq = body.indexOf('=')
      const name = eq === -1 ? body : body.slice(0, eq)
      const inline = eq === -1 ? null : body.slice(eq + 1)
      let def = this.resolve(name)
      if (def === null) {
        // A single-dash token that is not a whole option name is a cluster of one-letter options.
        if (long) throw new OptionError(`${name} is not a recognized option`)
        const letter = this.resolve(body[0])
        if (letter === null || body.length > 1) {
          throw new OptionError(`${letter === null ? body[0] : body[1]} is not a recognized option`)
        }
        def = letter
      }
      i = this.take(def, inline, argv, i, set)
    }
    this.checkAvailability(set)
    return set
  }

  private take(
    def: OptionDef,
    inline: string | null,
    argv: readonly string[],
    i: number,
    set: ParsedOptions,
  ) {
    if (def.arg === undefined) {
      set.add(def.name, [])
      return i
    }
    let raw: string | null = inline
    if (raw === null) {
      if (def.arg === 'required') {
        if (i >= argv.length) throw new OptionError(`Option ${def.name} requires an argument`)
        raw = argv[i++]
      } else if (i < argv.length && convertible(def.type, argv[i])) {
        const next = argv[i]
        // An optional numeric argument may be negative, which looks like an option.
        if (
          !looksLikeOption(next) ||
          def.type === 'Integer' ||
          def.type === 'Long' ||
          def.type === 'Double'
        ) {
          raw = next
          i++
        }
      }
    }
    if (raw === null) {
      set.add(def.name, [])
      return i
    }
    const values = def.separator === undefined ? [raw] : raw.split(def.separator).filter((v) => v !== '')
    for (const v of values) {
      if (!convertible(def.type, v))
        throw new OptionError(`Cannot parse argument '${v}' of option ${def.name}`)
    }
    set.add(def.name, values)
    return i
  }

  private checkAvailability(set: ParsedOptions): void {
    const unavailable: string[] = []
    for (const d of this.defs) {
      if (d.availableIf === undefined || !set.has(d.name)) continue
      if (!d.availableIf.some((o) => set.has(o))) unavailable.push(d.name)
    }
    if (unavailable.length > 0) {
      throw new OptionError(
        `Option(s) [${unavailable.join(', ')}] are unavailable given other options on the command line`,
      )
    }
  }
}
