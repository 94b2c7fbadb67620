// Who a TLS client is: the subject of its certificate as an RFC 2253 distinguished name (the form
// Kafka's principal builder uses, e.g. `CN=alice,OU=eng,O=Acme`), mapped to a user name by
// `ssl.principal.mapping.rules`.
//
// Rules (Kafka's syntax): a comma- or newline-separated list of `DEFAULT` (the DN as is) and
// `RULE:pattern/replacement/` optionally followed by `L` or `U` (lower/upper-case the result). The
// first rule whose pattern matches the whole DN wins; its result is the DN with every match of the
// pattern replaced (`$1` refers to a group). When no rule matches, the client is refused, as Kafka
// refuses it. A `/` inside a pattern or replacement is written `\/`.

import type { X509Certificate } from 'node:crypto'

export const ANONYMOUS = 'User:ANONYMOUS'

/**
 * RFC 2253 text of a certificate subject. Node prints the subject one RDN per line in certificate
 * order (values already escaped as RFC 2253 wants); RFC 2253 lists the RDNs in reverse order,
 * comma-separated, with `+` between the values of a multi-valued RDN.
 */
export function subjectDn(cert: X509Certificate): string {
  return cert.subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((rdn) => rdn.replaceAll(' + ', '+'))
    .join(',')
}

export type PrincipalRule =
  | { readonly kind: 'default' }
  | {
      readonly kind: 'rule'
      readonly text: string
      readonly whole: RegExp
      readonly every: RegExp
      readonly replacement: string
      readonly toCase: '' | 'L' | 'U'
    }

export class PrincipalRulesError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PrincipalRulesError'
  }
}

// One rule, then a separator: `\x` escapes any character inside pattern and replacement.
const RULE_RE = /\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])+)\/((?:\\.|[^\\/])*)\/([LU]?))\s*(?:[,\n]|$)/y

/** Parses `ssl.principal.mapping.rules`. Throws PrincipalRulesError naming the bad part. */
export function parsePrincipalRules(text: string): PrincipalRule[] {
  const rules: PrincipalRule[] = []
  const src = text.trim()
  if (src === '') return [{ kind: 'default' }]
  RULE_RE.lastIndex = 0
  while (RULE_RE.lastIndex < src.length) {
    const start = RULE_RE.lastIndex
    const m = RULE_RE.exec(src)
    if (m === null || m[0] === '') throw new PrincipalRulesError(`Invalid rule: ${src.slice(start).trim()}`)
    if (m[1] !== undefined) {
      rules.push({ kind: 'default' })
      continue
    }
    const pattern = m[2]!.replaceAll('\\/', '/')
    let whole: RegExp
    let every: RegExp
    try {
      whole = new RegExp(`^(?:${pattern})$`)
      every = new RegExp(pattern, 'g')
    } catch (e) {
      throw new PrincipalRulesError(`Invalid rule pattern ${pattern}: ${(e as Error).message}`)
    }
    rules.push({
      kind: 'rule',
      text: m[0].trim().replace(/,$/, ''),
      whole,
      every,
      replacement: m[3]!.replaceAll('\\/', '/'),
      toCase: m[4] as '' | 'L' | 'U',
    })
  }
  return rules
}

/** The user name for a DN, or null when no rule applies (the client is then refused). */
export function mapPrincipal(rules: readonly PrincipalRule[], dn: string): string | null {
  for (const r of rules) {
    if (r.kind === 'default') return dn
    if (!r.whole.test(dn)) continue
    const out = dn.replace(r.every, r.replacement)
    return r.toCase === 'L' ? out.toLowerCase() : r.toCase === 'U' ? out.toUpperCase() : out
  }
  return null
}
