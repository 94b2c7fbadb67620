// Client certificate principals: the RFC 2253 subject DN and ssl.principal.mapping.rules (Kafka's
// DEFAULT and RULE:pattern/replacement/[LU] syntax, first match wins, no match refuses).

import assert from 'node:assert/strict'
import type { X509Certificate } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  mapPrincipal,
  PrincipalRulesError,
  parsePrincipalRules,
  subjectDn,
} from '../../../src/security/tls-principal.ts'

const DN = 'CN=alice,OU=ServiceUsers,O=Acme\\, Inc,C=NL'

describe('subjectDn', () => {
  it('reverses the certificate order into RFC 2253 and joins multi-valued RDNs with +', () => {
    const cert = { subject: 'C=NL\nO=Acme\\, Inc\nOU=ServiceUsers\nCN=alice + UID=7' } as X509Certificate
    assert.equal(subjectDn(cert), 'CN=alice+UID=7,OU=ServiceUsers,O=Acme\\, Inc,C=NL')
  })
})

describe('ssl.principal.mapping.rules', () => {
  it('DEFAULT (and an empty value) keeps the DN', () => {
    assert.equal(mapPrincipal(parsePrincipalRules('DEFAULT'), DN), DN)
    assert.equal(mapPrincipal(parsePrincipalRules(''), DN), DN)
  })

  it('applies the first rule whose pattern matches the whole DN, with L/U', () => {
    const rules = parsePrincipalRules(
      'RULE:^CN=(.*?),OU=Admins.*$/admin-$1/, RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/U,DEFAULT',
    )
    assert.equal(rules.length, 3)
    assert.equal(mapPrincipal(rules, DN), 'ALICE')
    assert.equal(mapPrincipal(rules, 'CN=bob,OU=Admins,O=Acme'), 'admin-bob')
    assert.equal(mapPrincipal(rules, 'CN=carol,OU=Other'), 'CN=carol,OU=Other')
    const lower = parsePrincipalRules('RULE:^CN=([^,]*).*$/$1/L')
    assert.equal(mapPrincipal(lower, 'CN=Dave,O=X'), 'dave')
  })

  it('rules may span lines and escape a slash', () => {
    const rules = parsePrincipalRules('RULE:^CN=([^,]*),O=(.*)$/$2\\/$1/\nDEFAULT')
    assert.equal(mapPrincipal(rules, 'CN=eve,O=acme'), 'acme/eve')
  })

  it('returns null when no rule applies (the client is refused)', () => {
    assert.equal(mapPrincipal(parsePrincipalRules('RULE:^CN=(.*),OU=Admins$/$1/'), DN), null)
  })

  it('refuses malformed rules', () => {
    for (const bad of ['RULE:^CN=(.*)$', 'RULE:^CN=(.*)$/$1/X', 'DEFAULTS', 'RULE:(/x/']) {
      assert.throws(() => parsePrincipalRules(bad), PrincipalRulesError, bad)
    }
  })
})
