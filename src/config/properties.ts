// Java `.properties` syntax, read the way java.util.Properties.load reads it (which is how Kafka reads
// server.properties) and written the way Properties.store writes it (which is how Kafka writes
// meta.properties).
//
// Reading rules, in order:
// - Natural lines end at \n, \r or \r\n. A natural line ending in an odd number of backslashes
//   continues on the next one; the next line's leading whitespace (space, \t, \f) is dropped.
// - A logical line that is blank, or whose first non-whitespace character is '#' or '!', is skipped.
//   A comment line never continues, whatever it ends with.
// - The key runs from the first non-whitespace character to the first unescaped '=', ':' or
//   whitespace. Then whitespace, at most one '=' or ':', and whitespace again are skipped; the rest of
//   the line is the value, trailing whitespace included (Kafka trims values when it parses them).
// - Escapes in keys and values: \t \n \r \f, \uXXXX (exactly four hex digits, else an error), and a
//   backslash before any other character stands for that character.
// One difference from Java on purpose: the text is decoded as UTF-8, not ISO-8859-1.

export interface PropertyPair {
  readonly key: string
  readonly value: string
  /** 1-based number of the natural line the logical line starts on. */
  readonly line: number
}

export class PropertiesSyntaxError extends Error {
  readonly line: number
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`)
    this.name = 'PropertiesSyntaxError'
    this.line = line
  }
}

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\f'

interface LogicalLine {
  readonly text: string
  readonly line: number
}

/** Joins continued natural lines into logical lines and drops blank and comment lines. */
function logicalLines(text: string): LogicalLine[] {
  const natural = text.split(/\r\n|\r|\n/)
  const out: LogicalLine[] = []
  let i = 0
  while (i < natural.length) {
    const startLine = i + 1
    let current = natural[i]!.replace(/^[ \t\f]+/, '')
    i++
    if (current === '' || current[0] === '#' || current[0] === '!') continue
    let joined = ''
    for (;;) {
      if (!endsWithOddBackslashes(current)) {
        joined += current
        break
      }
      joined += current.slice(0, -1)
      // A continuation at the end of the text just drops the backslash, as Java does.
      if (i >= natural.length) break
      current = natural[i]!.replace(/^[ \t\f]+/, '')
      i++
    }
    out.push({ text: joined, line: startLine })
  }
  return out
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++
  return n % 2 === 1
}

/** Resolves the escapes of one key or value. */
function unescapeProperty(raw: string, line: number): string {
  if (!raw.includes('\\')) return raw
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c !== '\\') {
      out += c
      continue
    }
    i++
    if (i >= raw.length) break
    const e = raw[i]!
    if (e === 'u') {
      const hex = raw.slice(i + 1, i + 5)
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError('Malformed \\uxxxx encoding.', line)
      out += String.fromCharCode(Number.parseInt(hex, 16))
      i += 4
    } else if (e === 't') out += '\t'
    else if (e === 'n') out += '\n'
    else if (e === 'r') out += '\r'
    else if (e === 'f') out += '\f'
    else out += e
  }
  return out
}

function splitKeyValue(s: string): { rawKey: string; rawValue: string } {
  let keyEnd = s.length
  let hasSeparator = false
  let escaped = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (escaped) {
      escaped = false
      continue
    }
    if (c === '\\') {
      escaped = true
      continue
    }
    if (c === '=' || c === ':') {
      keyEnd = i
      hasSeparator = true
      break
    }
    if (isWhitespace(c)) {
      keyEnd = i
      break
    }
  }
  let v = keyEnd + (hasSeparator ? 1 : 0)
  while (v < s.length && isWhitespace(s[v]!)) v++
  if (!hasSeparator && v < s.length && (s[v] === '=' || s[v] === ':')) {
    v++
    while (v < s.length && isWhitespace(s[v]!)) v++
  }
  return { rawKey: s.slice(0, keyEnd), rawValue: s.slice(v) }
}

/** Every key/value pair in file order, duplicates included (the last one wins, as in Java). */
export function parseProperties(text: string): PropertyPair[] {
  const pairs: PropertyPair[] = []
  for (const l of logicalLines(text)) {
    const { rawKey, rawValue } = splitKeyValue(l.text)
    pairs.push({
      key: unescapeProperty(rawKey, l.line),
      value: unescapeProperty(rawValue, l.line),
      line: l.line,
    })
  }
  return pairs
}

/** The pairs as a map: the last occurrence of a key wins. */
export function propertiesToMap(pairs: readonly PropertyPair[]): Map<string, string> {
  const m = new Map<string, string>()
  for (const p of pairs) m.set(p.key, p.value)
  return m
}

function escapeProperty(s: string, isKey: boolean): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    switch (c) {
      case ' ':
        out += i === 0 || isKey ? '\\ ' : ' '
        break
      case '\\':
        out += '\\\\'
        break
      case '\t':
        out += '\\t'
        break
      case '\n':
        out += '\\n'
        break
      case '\r':
        out += '\\r'
        break
      case '\f':
        out += '\\f'
        break
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`
        break
      default: {
        const code = c.charCodeAt(0)
        // Java writes other control characters raw through a Writer; \uXXXX reads back the same and
        // keeps the file printable.
        out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c
      }
    }
  }
  return out
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** java.util.Date#toString in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`. */
export function javaDateString(d: Date): string {
  const p2 = (n: number) => String(n).padStart(2, '0')
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCDate())} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  )
}

export interface WritePropertiesOptions {
  /** Comment lines written first, each as `#<line>` (Kafka passes "" and so writes a lone `#`). */
  readonly comments?: readonly string[]
  /** Written as `#<java date>` after the comments, as Properties.store does; null for none. */
  readonly date?: Date | null
}

/** Properties.store's output for the given entries, in the given order, `\n` line ends. */
export function writeProperties(
  entries: Iterable<readonly [string, string]>,
  options: WritePropertiesOptions = {},
): string {
  let out = ''
  for (const c of options.comments ?? []) out += `#${c.replace(/\r\n|\r|\n/g, '\n#')}\n`
  if (options.date) out += `#${javaDateString(options.date)}\n`
  for (const [k, v] of entries) out += `${escapeProperty(k, true)}=${escapeProperty(v, false)}\n`
  return out
}
