// Parses the JAAS-style text Kafka takes in `sasl.jaas.config` and
// `listener.name.<l>.<mechanism>.sasl.jaas.config`, e.g.
//
//   org.apache.kafka.common.security.plain.PlainLoginModule required
//     username="admin" password="admin-secret" user_alice="alice-secret";
//
// Grammar (what Kafka's JaasConfig accepts): one or more entries `<module class> <flag>
// <option>* ;` where flag is required|requisite|sufficient|optional and an option is
// `key=value`, the value a bare word or a double-quoted string (backslash escapes the next
// character). Options are kept as written; the callers pick what their mechanism needs.

export type JaasFlag = 'required' | 'requisite' | 'sufficient' | 'optional'

export interface JaasEntry {
  readonly loginModule: string
  readonly flag: JaasFlag
  readonly options: ReadonlyMap<string, string>
}

export class JaasConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JaasConfigError'
  }
}

const FLAGS: readonly string[] = ['required', 'requisite', 'sufficient', 'optional']

interface Token {
  readonly kind: 'word' | 'quoted' | '=' | ';'
  readonly text: string
}

function tokenize(text: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '=' || c === ';') {
      out.push({ kind: c, text: c })
      i++
    } else if (c === '"') {
      let s = ''
      i++
      for (;;) {
        if (i >= text.length) throw new JaasConfigError('Unterminated quoted value in JAAS config')
        const d = text[i]!
        if (d === '\\' && i + 1 < text.length) {
          s += text[i + 1]
          i += 2
        } else if (d === '"') {
          i++
          break
        } else {
          s += d
          i++
        }
      }
      out.push({ kind: 'quoted', text: s })
    } else {
      let s = ''
      while (i < text.length && !/[\s=;"]/.test(text[i]!)) s += text[i++]
      out.push({ kind: 'word', text: s })
    }
  }
  return out
}

/** Every entry of a JAAS config text; throws JaasConfigError with the reason when malformed. */
export function parseJaasConfig(text: string): JaasEntry[] {
  const tokens = tokenize(text)
  const entries: JaasEntry[] = []
  let i = 0
  while (i < tokens.length) {
    const module = tokens[i++]
    if (module?.kind !== 'word')
      throw new JaasConfigError('JAAS config entry must start with a login module name')
    const flag = tokens[i++]
    if (flag?.kind !== 'word' || !FLAGS.includes(flag.text.toLowerCase()))
      throw new JaasConfigError(
        `Invalid JAAS config: login module control flag is not available (${flag?.text ?? 'missing'})`,
      )
    const options = new Map<string, string>()
    for (;;) {
      const t = tokens[i++]
      if (t === undefined) throw new JaasConfigError("JAAS config entry must be terminated by ';'")
      if (t.kind === ';') break
      const eq = tokens[i++]
      const value = tokens[i++]
      if (t.kind !== 'word' || eq?.kind !== '=' || (value?.kind !== 'word' && value?.kind !== 'quoted'))
        throw new JaasConfigError(`Invalid JAAS config option near '${t.text}': expected key=value`)
      options.set(t.text, value.text)
    }
    entries.push({ loginModule: module.text, flag: flag.text.toLowerCase() as JaasFlag, options })
  }
  if (entries.length === 0) throw new JaasConfigError('JAAS config has no login module')
  return entries
}

/** The single entry a `sasl.jaas.config` value must hold (Kafka refuses more than one). */
export function parseSingleJaasEntry(key: string, text: string): JaasEntry {
  const entries = parseJaasConfig(text)
  if (entries.length !== 1)
    throw new JaasConfigError(`${key}: must contain exactly one login module, found ${entries.length}`)
  return entries[0]!
}

/** PLAIN users: `user_<name>="<password>"` options. */
export function plainUsers(entry: JaasEntry): Map<string, string> {
  const users = new Map<string, string>()
  for (const [k, v] of entry.options) if (k.startsWith('user_')) users.set(k.slice(5), v)
  return users
}
