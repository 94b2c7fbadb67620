// The generator itself: its small parsers, and a synthetic schema that exercises corners the real
// schemas barely use (hex/octal/negative defaults, a field-level "flexibleVersions": "none", a
// struct nullable only in later versions, a tagged nullable string with a non-null default, a
// field with only taggedVersions). The generated module is written to a temporary folder whose
// src/ links back to this repository, then imported and checked byte by byte.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { removeRedundantBlocks } from '../../../scripts/codegen/code.ts'
import { emitMessageFile } from '../../../scripts/codegen/emit-file.ts'
import { parseErrors } from '../../../scripts/codegen/emit-tables.ts'
import { parseJsonc, stripJsonComments } from '../../../scripts/codegen/jsonc.ts'
import { loadMessage } from '../../../scripts/codegen/load.ts'
import { camel, kebab } from '../../../scripts/codegen/names.ts'
import { parseRange, versionCond } from '../../../scripts/codegen/versions.ts'
import { DecodeError, EncodeError } from '../../../src/common/errors.ts'
import { decodeMessage, encodeMessage, type MessageCodec } from '../../../src/protocol/codec.ts'

const repo = resolve(import.meta.dirname, '../../..')
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('codegen helpers', () => {
  it('strips // and /* */ comments but not inside strings', () => {
    const text = '{ "a": "http://x//y", // trailing\n "b": "say \\"//\\"" /* block */ }'
    assert.deepEqual(JSON.parse(stripJsonComments(text)), { a: 'http://x//y', b: 'say "//"' })
    assert.throws(() => parseJsonc('{ "a": }', 'bad.json'), /bad\.json/)
  })

  it('parses version ranges and builds minimal version conditions', () => {
    assert.deepEqual(parseRange('3+', 'x'), { lo: 3, hi: Number.POSITIVE_INFINITY })
    assert.deepEqual(parseRange('0-7', 'x'), { lo: 0, hi: 7 })
    assert.deepEqual(parseRange('5', 'x'), { lo: 5, hi: 5 })
    assert.ok(parseRange('none', 'x').lo > parseRange('none', 'x').hi)
    assert.throws(() => parseRange('3-', 'x'))
    const ctx = { lo: 0, hi: 11 }
    assert.equal(versionCond(parseRange('0+', 'x'), ctx), 'true')
    assert.equal(versionCond(parseRange('12+', 'x'), ctx), 'false')
    assert.equal(versionCond(parseRange('3+', 'x'), ctx), 'v >= 3')
    assert.equal(versionCond(parseRange('0-2', 'x'), ctx), 'v <= 2')
    assert.equal(versionCond(parseRange('2-5', 'x'), ctx), 'v >= 2 && v <= 5')
    assert.equal(versionCond(parseRange('3+', 'x'), { lo: 3, hi: 9 }), 'true')
  })

  it('names files and properties', () => {
    assert.equal(kebab('ApiVersions'), 'api-versions')
    assert.equal(kebab('OffsetForLeaderEpoch'), 'offset-for-leader-epoch')
    assert.equal(kebab('DescribeAcls'), 'describe-acls')
    assert.equal(kebab('KRaftVersionRecord'), 'kraft-version-record')
    assert.equal(camel('TopicData'), 'topicData')
  })

  it('parses the ERRORS.md table, including a message with an escaped pipe', () => {
    const md = [
      '| code | name | retriable | Java exception | default message |',
      '|---:|---|:-:|---|---|',
      '| -1 | UNKNOWN_SERVER_ERROR | no | UnknownServerException | Unexpected. |',
      '| 0 | NONE | no | - |  |',
      '| 7 | REQUEST_TIMED_OUT | yes | TimeoutException | a \\| b |',
    ].join('\n')
    assert.deepEqual(parseErrors(md), [
      { code: -1, name: 'UNKNOWN_SERVER_ERROR', retriable: false, message: 'Unexpected.' },
      { code: 0, name: 'NONE', retriable: false, message: '' },
      { code: 7, name: 'REQUEST_TIMED_OUT', retriable: true, message: 'a | b' },
    ])
  })

  it('drops a bare block that is the only statement of its parent', () => {
    const text = ['if (x) {', '  {', '    a()', '  }', '}', '{', '  b()', '}'].join('\n')
    assert.equal(removeRedundantBlocks(text), ['if (x) {', '  a()', '}', '{', '  b()', '}'].join('\n'))
  })
})

const SYNTHETIC = `// A synthetic schema for the generator's own tests.
{
  "apiKey": 900,
  "type": "request",
  "name": "SyntheticRequest",
  "validVersions": "0-4",
  "flexibleVersions": "2+",
  "fields": [
    { "name": "Hex", "type": "int32", "versions": "0+", "default": "0x7fffffff" },
    { "name": "Octal", "type": "int16", "versions": "0+", "default": "010" },
    { "name": "Neg", "type": "int64", "versions": "0+", "default": -2 },
    { "name": "Url", "type": "string", "versions": "0+", "default": "http://x//y" }, // "quoted" comment
    { "name": "Legacy", "type": "string", "versions": "0+", "nullableVersions": "1+", "flexibleVersions": "none" },
    { "name": "Maybe", "type": "Inner", "versions": "1+", "nullableVersions": "3+", "fields": [
      { "name": "A", "type": "int8", "versions": "0+", "default": 1 }
    ]},
    { "name": "Again", "type": "[]Inner", "versions": "4+" },
    { "name": "Label", "type": "string", "versions": "2+", "nullableVersions": "2+",
      "taggedVersions": "2+", "tag": 5, "default": "x" },
    { "name": "OnlyTagged", "type": "int32", "taggedVersions": "3+", "tag": "2", "default": 7 },
    { "name": "Strict", "type": "bool", "versions": "0-1" }
  ]
}
`

interface Synthetic {
  hex: number
  octal: number
  neg: bigint
  url: string
  legacy: string | null
  maybe: { a: number } | null
  again: { a: number }[]
  label: string | null
  onlyTagged: number
  strict: boolean
}

describe('codegen on a synthetic schema', () => {
  let dir = ''
  let codec: MessageCodec<Synthetic>

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-codegen-'))
    // Generated modules import ../../codec.ts, ../../primitives/ and ../../../common/: link them.
    mkdirSync(join(dir, 'src/protocol/generated/messages'), { recursive: true })
    symlinkSync(join(repo, 'src/common'), join(dir, 'src/common'))
    symlinkSync(join(repo, 'src/protocol/primitives'), join(dir, 'src/protocol/primitives'))
    symlinkSync(join(repo, 'src/protocol/codec.ts'), join(dir, 'src/protocol/codec.ts'))
    const schema = join(dir, 'SyntheticRequest.json')
    writeFileSync(schema, SYNTHETIC)
    const file = join(dir, 'src/protocol/generated/messages/synthetic.ts')
    writeFileSync(file, emitMessageFile([loadMessage(schema, 'SyntheticRequest.json')], 1))
    const mod = await import(pathToFileURL(file).href)
    codec = mod.syntheticRequestCodec
  })

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })

  it('parses hex, octal, negative and string defaults', () => {
    const d = codec.defaults(0)
    assert.deepEqual(d, {
      hex: 0x7fffffff,
      octal: 8,
      neg: -2n,
      url: 'http://x//y',
      legacy: '',
      maybe: { a: 1 },
      again: [],
      label: 'x',
      onlyTagged: 7,
      strict: false,
    })
    assert.equal(codec.flexibleMin, 2)
    assert.equal(codec.apiKey, 900)
  })

  it('v0: plain fields only, with int16-length strings', () => {
    const bytes = encodeMessage(codec, codec.defaults(0), 0)
    const url = Buffer.from('http://x//y').toString('hex')
    assert.deepEqual(bytes, hex(`7fffffff 0008 fffffffffffffffe 000b ${url} 0000 00`))
    assert.deepEqual(decodeMessage(codec, bytes, 0), codec.defaults(0))
  })

  it('v3: struct null marker, "none" keeps int16 length in a flexible version, tags ascending', () => {
    const m: Synthetic = { ...codec.defaults(3), legacy: null, maybe: null, label: null, onlyTagged: 9 }
    const url = Buffer.from('http://x//y').toString('hex')
    // Label is null but its default is "x": it is written as tag 5 with a 1-byte payload 0x00.
    const expected = hex(`7fffffff 0008 fffffffffffffffe 0c ${url} ffff ff 02 02 04 00000009 05 01 00`)
    assert.deepEqual(encodeMessage(codec, m, 3), expected)
    assert.deepEqual(decodeMessage(codec, expected, 3), m)
    const present = { ...m, maybe: { a: 5 } }
    assert.deepEqual(decodeMessage(codec, encodeMessage(codec, present, 3), 3), present)
  })

  it('v4: a struct type reused by name in an array', () => {
    const m: Synthetic = { ...codec.defaults(4), again: [{ a: 1 }, { a: -1 }] }
    assert.deepEqual(decodeMessage(codec, encodeMessage(codec, m, 4), 4), m)
  })

  it('refuses null before the nullable versions, and non-default absent fields', () => {
    assert.throws(() => encodeMessage(codec, { ...codec.defaults(1), maybe: null }, 1), EncodeError)
    assert.throws(() => encodeMessage(codec, { ...codec.defaults(0), legacy: null }, 0), EncodeError)
    assert.throws(() => encodeMessage(codec, { ...codec.defaults(2), strict: true }, 2), EncodeError)
    assert.throws(() => encodeMessage(codec, { ...codec.defaults(2), onlyTagged: 1 }, 2), EncodeError)
    assert.throws(() => encodeMessage(codec, { ...codec.defaults(3), again: [{ a: 0 }] }, 3), EncodeError)
    assert.doesNotThrow(() => encodeMessage(codec, { ...codec.defaults(1), strict: true }, 1))
    // v1 decodes a null Legacy (nullable from v1) but v0 refuses it.
    const v0 = encodeMessage(codec, codec.defaults(0), 0)
    const nullLegacy = Buffer.concat([v0.subarray(0, 27), hex('ffff'), v0.subarray(29)])
    assert.throws(() => decodeMessage(codec, nullLegacy, 0), DecodeError)
  })
})

describe('check-generated', () => {
  it('says clearly that it skipped when the schema folder is absent', () => {
    const node = process.execPath
    const res = spawnSync(
      node,
      [join(repo, 'scripts/check-generated.ts'), join(tmpdir(), 'no-such-schemas/messages')],
      {
        encoding: 'utf8',
      },
    )
    assert.equal(res.status, 0)
    assert.match(res.stdout, /check:generated SKIPPED: schema folder .*no-such-schemas\/messages not found/)
  })
})
