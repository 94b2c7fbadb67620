// Turns a schema folder into the contents of src/protocol/generated/: a map from relative path to
// file text. Pure (reads the schemas, writes nothing) and deterministic (sorted inputs, no dates),
// so check-generated can compare byte for byte.
//
// Inputs: <schemaDir>/*.json (requests, responses, headers, and a few "data" schemas), and when
// present the sibling folders group-coordinator/, transaction-coordinator/ and storage/ (internal
// topic record schemas), plus <schemaDir>/../ERRORS.md for the error table.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { emitMessageFile } from './emit-file.ts'
import { emitSchemas } from './emit-schemas.ts'
import {
  type ApiPair,
  emitApiKeys,
  emitCodecReexport,
  emitErrorCodes,
  emitIndex,
  parseErrors,
} from './emit-tables.ts'
import { loadMessage } from './load.ts'
import type { MessageSpec } from './model.ts'
import { kebab } from './names.ts'

export const RECORD_FOLDERS = ['group-coordinator', 'transaction-coordinator', 'storage'] as const

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
}

export function generate(schemaDir: string): Map<string, string> {
  const root = dirname(schemaDir)
  const msgDirName = basename(schemaDir)
  const messages = jsonFiles(schemaDir).map((f) => loadMessage(join(schemaDir, f), `${msgDirName}/${f}`))
  const byName = new Map(messages.map((m) => [m.name, m]))

  const out = new Map<string, string>()
  const records: MessageSpec[] = messages.filter((m) => m.kind === 'data' || m.kind === 'metadata')
  for (const folder of RECORD_FOLDERS) {
    const dir = join(root, folder)
    if (!existsSync(dir)) continue
    for (const f of jsonFiles(dir)) records.push(loadMessage(join(dir, f), `${folder}/${f}`))
  }

  const apis: ApiPair[] = []
  for (const req of messages.filter((m) => m.kind === 'request')) {
    const name = req.name.replace(/Request$/, '')
    const res = byName.get(`${name}Response`)
    if (res === undefined || res.kind !== 'response') throw new Error(`no response schema for ${req.name}`)
    if (res.apiKey !== req.apiKey) throw new Error(`${req.name} and ${res.name} disagree on the api key`)
    apis.push({ name, module: kebab(name), request: req, response: res })
  }
  const responses = messages.filter((m) => m.kind === 'response')
  if (responses.length !== apis.length) throw new Error('a response schema has no request')

  const modules: string[] = []
  for (const a of apis) {
    out.set(`messages/${a.module}.ts`, emitMessageFile([a.request, a.response], 1))
    modules.push(`messages/${a.module}.ts`)
  }
  const headers = ['RequestHeader', 'ResponseHeader'].map((n) => {
    const h = byName.get(n)
    if (h === undefined || h.kind !== 'header') throw new Error(`missing ${n}.json`)
    return h
  })
  out.set('headers.ts', emitMessageFile(headers, 0))
  const recordModules = new Set<string>()
  for (const r of records) {
    const mod = `records/${kebab(r.name)}.ts`
    if (recordModules.has(mod)) throw new Error(`two record schemas map to ${mod}`)
    recordModules.add(mod)
    out.set(mod, emitMessageFile([r], 1))
  }

  out.set('api-keys.ts', emitApiKeys(apis))
  const errorsPath = join(root, 'ERRORS.md')
  out.set('error-codes.ts', emitErrorCodes(parseErrors(readFileSync(errorsPath, 'utf8')), 'ERRORS.md'))
  out.set('codec.ts', emitCodecReexport())
  const all = [...apis.flatMap((a) => [a.request, a.response]), ...headers, ...records]
  out.set('schemas.ts', emitSchemas(all))
  out.set(
    'index.ts',
    emitIndex([
      'codec.ts',
      'api-keys.ts',
      'error-codes.ts',
      'headers.ts',
      ...modules.sort(),
      ...[...recordModules].sort(),
    ]),
  )
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
