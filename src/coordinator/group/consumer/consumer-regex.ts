// SubscribedTopicRegex: Kafka compiles it with RE2/J and matches whole topic names. We run it on
// JS RegExp after translating the RE2 spellings JS lacks ((?P<name>...), \A, \z, \Q...\E, a leading
// (?i)/(?s)/(?m), [[:alpha:]]-style classes) and refusing what RE2 does not have (backreferences,
// lookahead/lookbehind, atomic groups, possessive quantifiers), so a pattern works here exactly
// when it would in Kafka. Refused patterns answer INVALID_REGULAR_EXPRESSION.

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
}

export type CompiledRegex = { ok: true; regex: RegExp } | { ok: false; reason: string }

const cache = new Map<string, CompiledRegex>()

export function compileTopicRegex(pattern: string): CompiledRegex {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  const compiled = compile(pattern)
  if (cache.size > 1000) cache.clear()
  cache.set(pattern, compiled)
  return compiled
}

function compile(pattern: string): CompiledRegex {
  let flags = ''
  let src = pattern
  const lead = /^\(\?([ims]+)\)/.exec(src)
  if (lead !== null) {
    flags = [...new Set(lead[1])].join('')
    src = src.slice(lead[0].length)
  }
  let out = ''
  let inClass = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') {
      const n = src[i + 1]
      if (n === undefined) return { ok: false, reason: 'trailing backslash' }
      if (!inClass && /[1-9]/.test(n)) return { ok: false, reason: 'backreferences are not supported' }
      if (n === 'k') return { ok: false, reason: 'named backreferences are not supported' }
      if (n === 'A') out += '^'
      else if (n === 'z') out += '$'
      else if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2)
        const literal = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end)
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
        i = end < 0 ? src.length : end + 1
        continue
      } else out += c + n
      i++
      continue
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2)
        const name = end < 0 ? '' : src.slice(i + 2, end)
        const neg = name.startsWith('^')
        const cls = POSIX[neg ? name.slice(1) : name]
        if (cls === undefined || neg) return { ok: false, reason: `unsupported class [:${name}:]` }
        out += cls
        i = end + 1
        continue
      }
      if (c === ']') inClass = false
      out += c
      continue
    }
    if (c === '[') {
      inClass = true
      out += c
      if (src[i + 1] === '^') {
        out += '^'
        i++
      }
      if (src[i + 1] === ']') {
        out += '\\]'
        i++
      }
      continue
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2)
      if (/^(=|!|<=|<!)/.test(rest)) return { ok: false, reason: 'lookaround is not supported' }
      if (rest.startsWith('>')) return { ok: false, reason: 'atomic groups are not supported' }
      if (rest.startsWith('P<')) {
        out += '(?<'
        i += 3
        continue
      }
    }
    if ((c === '+' || c === '?') && i > 0 && /[*+?}]/.test(src[i - 1]) && src[i - 2] !== '\\') {
      // x*? (lazy) is RE2; x*+ (possessive) is not.
      if (c === '+') return { ok: false, reason: 'possessive quantifiers are not supported' }
    }
    out += c
  }
  try {
    return { ok: true, regex: new RegExp(`^(?:${out})$`, flags) }
  } catch (e) {
    return { ok: false, reason: (e as Error).message }
  }
}
