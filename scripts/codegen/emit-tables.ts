// The generated tables: api-keys.ts (ApiKey names and the per-key codec table), error-codes.ts
// (from ERRORS.md), codec.ts (a re-export of the hand-written src/protocol/codec.ts) and index.ts.

import { Code } from './code.ts'
import { codecName, fileHeader } from './emit-file.ts'
import type { MessageSpec } from './model.ts'
import { str } from './names.ts'
import { isEmpty } from './versions.ts'

export interface ApiPair {
  readonly name: string
  readonly module: string
  readonly request: MessageSpec
  readonly response: MessageSpec
}

export function emitApiKeys(apis: readonly ApiPair[]): string {
  const sorted = [...apis].sort((a, b) => a.request.apiKey - b.request.apiKey)
  sorted.forEach((a, i) => {
    if (a.request.apiKey !== i)
      throw new Error(`api keys are not contiguous at ${a.name} (${a.request.apiKey})`)
  })
  const code = new Code()
  code.line("import { createRequire } from 'node:module'")
  code.line("import type { MessageCodec } from '../codec.ts'")
  code.line()
  code.line(
    '// Message modules load on first use (a synchronous require() of the ES module): a broker serves',
  )
  code.line('// about half of the APIs, and loading every codec up front would only slow its start.')
  code.line('const requireModule = createRequire(import.meta.url)')
  code.line("const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js'")
  code.line('// biome-ignore lint/suspicious/noExplicitAny: the table holds codecs of every message type')
  code.line('const loaded = new Map<string, Record<string, MessageCodec<any>>>()')
  code.line('// biome-ignore lint/suspicious/noExplicitAny: the table holds codecs of every message type')
  code.open('function codec(module: string, name: string): MessageCodec<any>')
  code.line('let m = loaded.get(module)')
  code.open('if (m === undefined)')
  code.line("m = requireModule('./messages/' + module + EXT)")
  code.line('loaded.set(module, m!)')
  code.close()
  code.line('return m![name]')
  code.close()
  code.line()
  code.doc('Kafka API keys by name.')
  code.open('export const ApiKey =')
  for (const a of sorted) code.line(`${a.name}: ${a.request.apiKey},`)
  code.close('} as const')
  code.line('export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey]')
  code.line()
  code.open('export interface ApiEntry')
  code.line('readonly key: number')
  code.line('readonly name: string')
  code.line('readonly minVersion: number')
  code.line('readonly maxVersion: number')
  code.doc('First flexible version; Infinity when none.')
  code.line('readonly flexibleMin: number')
  code.doc('Versions the schema marks deprecated (KIP-896), or null.')
  code.line('readonly deprecated: { readonly min: number; readonly max: number } | null')
  code.doc('The schema says its highest version is not yet stable.')
  code.line('readonly latestVersionUnstable: boolean')
  code.doc("Which Kafka processes serve it: 'zkBroker', 'broker', 'controller'.")
  code.line('readonly listeners: readonly string[]')
  code.line('// biome-ignore lint/suspicious/noExplicitAny: the table holds codecs of every message type')
  code.line('readonly request: MessageCodec<any>')
  code.line('// biome-ignore lint/suspicious/noExplicitAny: the table holds codecs of every message type')
  code.line('readonly response: MessageCodec<any>')
  code.close()
  code.line()
  code.doc('Every API, indexed by api key.')
  code.openRaw('export const API_TABLE: readonly ApiEntry[] = [')
  for (const a of sorted) {
    const r = a.request
    const dep = isEmpty(r.deprecated) ? 'null' : `{ min: ${r.deprecated.lo}, max: ${r.deprecated.hi} }`
    code.open('')
    code.line(`key: ${r.apiKey},`)
    code.line(`name: ${str(a.name)},`)
    code.line(`minVersion: ${r.valid.lo},`)
    code.line(`maxVersion: ${r.valid.hi},`)
    code.line(`flexibleMin: ${isEmpty(r.flexible) ? 'Number.POSITIVE_INFINITY' : r.flexible.lo},`)
    code.line(`deprecated: ${dep},`)
    code.line(`latestVersionUnstable: ${r.latestVersionUnstable},`)
    code.line(`listeners: [${r.listeners.map(str).join(', ')}],`)
    code.line(`get request() { return codec(${str(a.module)}, ${str(codecName(a.request))}) },`)
    code.line(`get response() { return codec(${str(a.module)}, ${str(codecName(a.response))}) },`)
    code.close('},')
  }
  code.close(']')
  const sources = ['messages/*Request.json', 'messages/*Response.json']
  return `${fileHeader(sources)}\n${code.toString()}`
}

export interface ErrorRow {
  readonly code: number
  readonly name: string
  readonly retriable: boolean
  readonly message: string
}

/** Parses the table of ERRORS.md: | code | name | retriable | Java exception | default message |. */
export function parseErrors(md: string): ErrorRow[] {
  const rows: ErrorRow[] = []
  for (const line of md.split('\n')) {
    const m = /^\|\s*(-?\d+)\s*\|/.exec(line)
    if (m === null) continue
    const cells = line
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'))
    if (cells.length < 5) throw new Error(`ERRORS.md: bad row ${line}`)
    const retriable = cells[2]
    if (retriable !== 'yes' && retriable !== 'no') throw new Error(`ERRORS.md: bad retriable in ${line}`)
    rows.push({
      code: Number(cells[0]),
      name: cells[1],
      retriable: retriable === 'yes',
      message: cells.slice(4).join('|'),
    })
  }
  if (rows.length === 0) throw new Error('ERRORS.md: no error rows found')
  return rows
}

export function emitErrorCodes(rows: readonly ErrorRow[], source: string): string {
  const code = new Code()
  code.doc('Kafka error codes by name (int16 on the wire).')
  code.open('export const ErrorCode =')
  for (const r of rows) code.line(`${r.name}: ${r.code},`)
  code.close('} as const')
  code.line('export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]')
  code.line()
  code.open('export interface ErrorInfo')
  code.line('readonly code: number')
  code.line('readonly name: string')
  code.doc('Clients retry these on their own (the Java client maps them to RetriableException).')
  code.line('readonly retriable: boolean')
  code.doc("Kafka's default message for the code ('' for NONE).")
  code.line('readonly message: string')
  code.close()
  code.line()
  code.doc('Every known error code, by code.')
  code.openRaw('export const ERROR_TABLE: ReadonlyMap<number, ErrorInfo> = new Map<number, ErrorInfo>([')
  for (const r of rows) {
    code.line(
      `[${r.code}, { code: ${r.code}, name: ${str(r.name)}, retriable: ${r.retriable}, message: ${str(r.message)} }],`,
    )
  }
  code.close('])')
  code.line()
  code.doc('The name of a code, or `UNKNOWN(<code>)` for codes this table does not know.')
  code.open('export function errorName(code: number): string')
  code.line("return ERROR_TABLE.get(code)?.name ?? 'UNKNOWN(' + code + ')'")
  code.close()
  return `${fileHeader([source])}\n${code.toString()}`
}

export function emitCodecReexport(): string {
  const code = new Code()
  code.line(
    "export { decodeMessage, encodeMessage, encodeMessageSpliced, type MessageCodec } from '../codec.ts'",
  )
  return `${fileHeader(['src/protocol/codec.ts (a re-export, so generated code has one import path)'])}\n${code}`
}

export function emitIndex(modules: readonly string[]): string {
  const code = new Code()
  for (const m of modules) code.line(`export * from './${m}'`)
  return `${fileHeader(['the other generated modules (re-exports)'])}\n${code}`
}
