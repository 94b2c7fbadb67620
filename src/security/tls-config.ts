// The TLS settings of one listener, read the way Kafka reads them: `listener.name.<l>.ssl.*` wins
// over `ssl.*`, and the stores are KIP-651 PEM (a file, or inline) or PKCS12. Everything that can
// be wrong with them (a missing key store, an unreadable file, a wrong password, a key that does
// not match its certificate) is found here, at startup, and reported as one line naming the key.
// Used for the broker's SSL and SASL_SSL listeners and, with the same stores, for its own
// connections to other brokers when the inter-broker listener is one of those.

import { readFileSync } from 'node:fs'
import { createSecureContext, type SecureContextOptions } from 'node:tls'
import type { BrokerConfig } from '../config/broker-config.ts'
import { BROKER_CONFIG_DEFS } from '../config/broker-config.ts'
import { parseAndValidate } from '../config/config-def.ts'
import { type PrincipalRule, PrincipalRulesError, parsePrincipalRules } from './tls-principal.ts'

/** A TLS setting that cannot be used; the message is the one line the broker prints. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TlsConfigError'
  }
}

export type ClientAuth = 'required' | 'requested' | 'none'

/** The effective `ssl.*` values for one listener, and the key each came from (for messages). */
export interface SslSettings {
  readonly listener: string
  /** The key actually set for `name` (the listener override or the plain key). */
  keyOf(name: string): string
  str(name: string): string | null
  list(name: string): readonly string[]
}

export function sslSettings(config: BrokerConfig, listenerName: string): SslSettings {
  const prefix = `listener.name.${listenerName.toLowerCase()}.`
  const merged = new Map([...config.static, ...config.dynamicDefault, ...config.dynamicBroker])
  const raw = (name: string) => merged.get(prefix + name)
  const value = (name: string) => {
    const r = raw(name)
    if (r !== undefined) return parseAndValidate(BROKER_CONFIG_DEFS.get(name)!, r).value
    return config.values.get(name)?.value ?? null
  }
  return {
    listener: listenerName,
    keyOf: (name) => (raw(name) !== undefined ? prefix + name : name),
    str: (name) => {
      const v = value(name)
      return typeof v === 'string' ? v : null
    },
    list: (name) => {
      const v = value(name)
      return Array.isArray(v) ? v : []
    },
  }
}

/** Everything a TLS listener (or the inter-broker client) needs, validated. */
export interface LoadedTls {
  /** Key material, trust, versions and ciphers: for createServer, setSecureContext or connect. */
  readonly context: SecureContextOptions
  readonly clientAuth: ClientAuth
  readonly principalRules: readonly PrincipalRule[]
  /** Files whose change means "reload" (key store, trust store). */
  readonly files: readonly string[]
  /** ssl.endpoint.identification.algorithm: host name check when connecting to another broker. */
  readonly verifyHostname: boolean
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1]!, pem: `${m[0]}\n` }))
}

function readFile(s: SslSettings, name: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message
    throw new TlsConfigError(
      `Listener ${s.listener}: cannot read ${s.keyOf(name)}=${path} (${code === 'ENOENT' ? 'no such file' : code})`,
    )
  }
}

function keyMaterial(s: SslSettings, files: string[]): SecureContextOptions {
  const type = (s.str('ssl.keystore.type') ?? 'JKS').toUpperCase()
  const location = s.str('ssl.keystore.location')
  const inlineKey = s.str('ssl.keystore.key')
  const inlineChain = s.str('ssl.keystore.certificate.chain')
  const keyPassword = s.str('ssl.key.password') ?? undefined
  if (location === null && inlineKey === null && inlineChain === null)
    throw new TlsConfigError(
      `Listener ${s.listener} needs a TLS key store: set ${s.keyOf('ssl.keystore.location')} (or ssl.keystore.key and ssl.keystore.certificate.chain with ssl.keystore.type=PEM)`,
    )
  if (type === 'JKS')
    throw new TlsConfigError(
      `Listener ${s.listener}: ${s.keyOf('ssl.keystore.type')}=JKS is not supported by Samsa: use PEM or PKCS12`,
    )
  if (type === 'PKCS12') {
    if (location === null)
      throw new TlsConfigError(
        `Listener ${s.listener}: ${s.keyOf('ssl.keystore.location')} is required with ssl.keystore.type=PKCS12`,
      )
    files.push(location)
    return {
      pfx: readFile(s, 'ssl.keystore.location', location),
      passphrase: s.str('ssl.keystore.password') ?? keyPassword,
    }
  }
  // PEM: one file holding the key and the chain, or both inline.
  let keyPem: string
  let chainPem: string
  let where: string
  if (location !== null) {
    if (inlineKey !== null || inlineChain !== null)
      throw new TlsConfigError(
        `Listener ${s.listener}: set either ${s.keyOf('ssl.keystore.location')} or ssl.keystore.key/ssl.keystore.certificate.chain, not both`,
      )
    files.push(location)
    const text = readFile(s, 'ssl.keystore.location', location).toString('utf8')
    const blocks = pemBlocks(text)
    keyPem = blocks.filter((b) => b.label.endsWith('PRIVATE KEY')).map((b) => b.pem)[0] ?? ''
    chainPem = blocks
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.pem)
      .join('')
    where = `${s.keyOf('ssl.keystore.location')}=${location}`
  } else {
    if (inlineKey === null || inlineChain === null)
      throw new TlsConfigError(
        `Listener ${s.listener}: ${inlineKey === null ? s.keyOf('ssl.keystore.key') : s.keyOf('ssl.keystore.certificate.chain')} is missing (inline PEM needs both the key and the chain)`,
      )
    keyPem = pemBlocks(inlineKey).find((b) => b.label.endsWith('PRIVATE KEY'))?.pem ?? ''
    chainPem = pemBlocks(inlineChain)
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => b.pem)
      .join('')
    where = s.keyOf(keyPem === '' ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain')
  }
  if (keyPem === '') throw new TlsConfigError(`Listener ${s.listener}: ${where} holds no PEM private key`)
  if (chainPem === '') throw new TlsConfigError(`Listener ${s.listener}: ${where} holds no PEM certificate`)
  if (keyPem.includes('ENCRYPTED') && keyPassword === undefined)
    throw new TlsConfigError(
      `Listener ${s.listener}: the private key in ${where} is encrypted; set ${s.keyOf('ssl.key.password')}`,
    )
  return { key: keyPem, cert: chainPem, passphrase: keyPassword }
}

function trustMaterial(s: SslSettings, files: string[]): string | undefined {
  const type = (s.str('ssl.truststore.type') ?? 'JKS').toUpperCase()
  const location = s.str('ssl.truststore.location')
  const inline = s.str('ssl.truststore.certificates')
  if (location === null && inline === null) return undefined
  if (type !== 'PEM')
    throw new TlsConfigError(
      `Listener ${s.listener}: ${s.keyOf('ssl.truststore.type')}=${type} is not supported by Samsa for trust stores: use PEM`,
    )
  const text = location !== null ? readFile(s, 'ssl.truststore.location', location).toString('utf8') : inline!
  if (location !== null) files.push(location)
  const certs = pemBlocks(text).filter((b) => b.label === 'CERTIFICATE')
  if (certs.length === 0)
    throw new TlsConfigError(
      `Listener ${s.listener}: ${location !== null ? `${s.keyOf('ssl.truststore.location')}=${location}` : s.keyOf('ssl.truststore.certificates')} holds no PEM certificate`,
    )
  return certs.map((b) => b.pem).join('')
}

// IANA suite names (what Java and so Kafka configs use) → OpenSSL's, for the TLS 1.2 suites;
// TLS 1.3 suites (TLS_AES_128_GCM_SHA256...) are the same in both.
function opensslCipher(name: string): string {
  const m = /^TLS_(\w+?)_WITH_(\w+)$/.exec(name)
  if (m === null) return name
  const kx = m[1]!.replaceAll('_', '-')
  const cipher = m[2]!
    .replace(/^AES_(\d+)_/, 'AES$1-')
    .replace(/^CHACHA20_POLY1305_SHA256$/, 'CHACHA20-POLY1305')
    .replaceAll('_', '-')
  return `${kx}-${cipher}`
}

const VERSION_ORDER = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const

/** Reads and checks every TLS setting of `listenerName`. Throws TlsConfigError (one line). */
export function loadTls(config: BrokerConfig, listenerName: string): LoadedTls {
  const s = sslSettings(config, listenerName)
  const files: string[] = []
  const context: SecureContextOptions = { ...keyMaterial(s, files) }
  const ca = trustMaterial(s, files)
  if (ca !== undefined) context.ca = ca
  const versions = s.list('ssl.enabled.protocols')
  if (versions.length === 0)
    throw new TlsConfigError(`Listener ${s.listener}: ${s.keyOf('ssl.enabled.protocols')} is empty`)
  const ranks = versions.map((v) => VERSION_ORDER.indexOf(v as (typeof VERSION_ORDER)[number]))
  context.minVersion = VERSION_ORDER[Math.min(...ranks)]
  context.maxVersion = VERSION_ORDER[Math.max(...ranks)]
  const ciphers = s.list('ssl.cipher.suites')
  if (ciphers.length > 0) {
    context.ciphers = ciphers.map(opensslCipher).join(':')
  }
  try {
    createSecureContext(context)
  } catch (e) {
    throw new TlsConfigError(`Listener ${s.listener}: ${contextProblem(s, e as Error)}`)
  }
  let principalRules: PrincipalRule[]
  try {
    principalRules = parsePrincipalRules(s.str('ssl.principal.mapping.rules') ?? 'DEFAULT')
  } catch (e) {
    if (!(e instanceof PrincipalRulesError)) throw e
    throw new TlsConfigError(
      `Listener ${s.listener}: ${s.keyOf('ssl.principal.mapping.rules')}: ${e.message}`,
    )
  }
  return {
    context,
    clientAuth: (s.str('ssl.client.auth') ?? 'none') as ClientAuth,
    principalRules,
    files,
    verifyHostname: (s.str('ssl.endpoint.identification.algorithm') ?? 'https') !== '',
  }
}

/** OpenSSL's complaint about the key material, said in terms of the keys that were set. */
function contextProblem(s: SslSettings, e: Error): string {
  const msg = e.message
  if (/bad decrypt|mac verify failure|bad password|interrupted or cancelled/i.test(msg))
    return `cannot decrypt the key store with ${s.keyOf(s.str('ssl.keystore.type')?.toUpperCase() === 'PKCS12' ? 'ssl.keystore.password' : 'ssl.key.password')} (${msg})`
  if (/key values mismatch/i.test(msg))
    return `the private key does not match the first certificate of the chain (${msg})`
  if (/cipher/i.test(msg)) return `${s.keyOf('ssl.cipher.suites')}: ${msg}`
  return `${s.keyOf('ssl.keystore.location')}: unusable key store (${msg})`
}
