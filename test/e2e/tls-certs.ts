// Test certificates made on the spot with the openssl CLI, in a temporary directory the caller
// removes: a CA, a broker certificate for 127.0.0.1/localhost, a client certificate (for mutual
// TLS) and variants (an encrypted key, a PKCS12 key store). No private key is ever committed.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrokerProcess } from '../support/broker-process.ts'

export interface TestCerts {
  dir: string
  /** CA certificate (PEM): the trust store of clients and of the broker. */
  ca: string
  /** Broker key + chain in one PEM file (a KIP-651 PEM key store). */
  brokerPem: string
  brokerKey: string
  brokerCert: string
  /** Client key, certificate, and both in one file. */
  clientKey: string
  clientCert: string
  clientPem: string
  /** The client certificate's subject, RFC 2253 order. */
  clientDn: string
  /** Makes a new broker certificate (new serial) into `brokerPem`'s place: for reload tests. */
  reissueBroker(cn: string): void
  /** Broker key encrypted with `password`, with its chain, as one PEM file. */
  encryptedBrokerPem(password: string): string
  /** Broker key + chain as PKCS12 protected by `password`. */
  brokerP12(password: string): string
  remove(): void
}

export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const ossl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' })

function newKey(dir: string, name: string): string {
  const path = join(dir, `${name}.key`)
  ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path], dir)
  return path
}

function signed(dir: string, name: string, subject: string, ext: string): { key: string; cert: string } {
  const key = newKey(dir, name)
  const csr = join(dir, `${name}.csr`)
  const cert = join(dir, `${name}.crt`)
  const extFile = join(dir, `${name}.ext`)
  writeFileSync(extFile, ext)
  ossl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], dir)
  ossl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      extFile,
      '-out',
      cert,
    ],
    dir,
  )
  return { key, cert }
}

const BROKER_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n'

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-tls-'))
  newKey(dir, 'ca')
  ossl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=Samsa Test CA', '-days', '2', '-out', 'ca.crt'],
    dir,
  )
  const broker = signed(dir, 'broker', '/O=Samsa Test/CN=localhost', BROKER_EXT)
  const client = signed(dir, 'client', '/C=NL/O=Samsa Test/OU=eng/CN=alice', 'extendedKeyUsage=clientAuth\n')
  const pem = (name: string, key: string, cert: string) => {
    const path = join(dir, name)
    writeFileSync(path, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'))
    return path
  }
  const brokerPem = pem('broker.pem', broker.key, broker.cert)
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    brokerPem,
    brokerKey: broker.key,
    brokerCert: broker.cert,
    clientKey: client.key,
    clientCert: client.cert,
    clientPem: pem('client.pem', client.key, client.cert),
    clientDn: 'CN=alice,OU=eng,O=Samsa Test,C=NL',
    reissueBroker(cn) {
      const again = signed(dir, `broker-${cn}`, `/O=Samsa Test/CN=${cn}`, BROKER_EXT)
      writeFileSync(brokerPem, readFileSync(again.key, 'utf8') + readFileSync(again.cert, 'utf8'))
    },
    encryptedBrokerPem(password) {
      const enc = join(dir, 'broker-enc.key')
      ossl(['pkey', '-in', broker.key, '-aes256', '-passout', `pass:${password}`, '-out', enc], dir)
      return pem('broker-enc.pem', enc, broker.cert)
    },
    brokerP12(password) {
      const out = join(dir, 'broker.p12')
      ossl(
        [
          'pkcs12',
          '-export',
          '-inkey',
          broker.key,
          '-in',
          broker.cert,
          '-certfile',
          'ca.crt',
          '-passout',
          `pass:${password}`,
          '-out',
          out,
        ],
        dir,
      )
      return out
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** The bound port of listener `name`, from the broker's startup line. */
export function listenerPort(b: BrokerProcess, name: string): number {
  const m = new RegExp(`listeners=\\S*${name}://[^:,\\s]+:(\\d+)`).exec(b.output())
  if (m === null) throw new Error(`no ${name} listener in:\n${b.output()}`)
  return Number(m[1])
}
