import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  javaDateString,
  PropertiesSyntaxError,
  parseProperties,
  propertiesToMap,
  writeProperties,
} from '../../../src/config/properties.ts'

const kv = (text: string) => parseProperties(text).map((p) => [p.key, p.value])

describe('parseProperties', () => {
  it('accepts =, : and whitespace as separators, with whitespace around them', () => {
    assert.deepEqual(kv('a=1\nb:2\nc 3\nd = 4\ne  :  5\nf\t6\ng =: 7'), [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
      ['e', '5'],
      ['f', '6'],
      // Only one separator is skipped: the rest is value.
      ['g', ': 7'],
    ])
  })

  it('keeps trailing whitespace of values and allows empty values and bare keys', () => {
    assert.deepEqual(kv('a=1  \nb=\nc\nd   '), [
      ['a', '1  '],
      ['b', ''],
      ['c', ''],
      ['d', ''],
    ])
  })

  it('skips blank lines and # / ! comments, also when indented', () => {
    assert.deepEqual(kv('# c1\n  ! c2\n\n   \n\t#c3\nk=v # not a comment\n'), [['k', 'v # not a comment']])
  })

  it('does not continue a comment that ends with a backslash', () => {
    assert.deepEqual(kv('# comment \\\nk=v'), [['k', 'v']])
  })

  it('joins continuation lines and drops their leading whitespace', () => {
    assert.deepEqual(kv('list=a,\\\n    b,\\\n\t  c\nnext=1'), [
      ['list', 'a,b,c'],
      ['next', '1'],
    ])
  })

  it('continues only on an odd number of trailing backslashes', () => {
    assert.deepEqual(kv('a=x\\\\\nb=y'), [
      ['a', 'x\\'],
      ['b', 'y'],
    ])
    assert.deepEqual(kv('a=x\\\\\\\ny'), [['a', 'x\\y']])
  })

  it('drops a continuation backslash at the end of the text', () => {
    assert.deepEqual(kv('a=x\\'), [['a', 'x']])
  })

  it('treats a # at the start of a continuation line as value text', () => {
    assert.deepEqual(kv('a=1\\\n#2'), [['a', '1#2']])
  })

  it('resolves escapes in keys and values', () => {
    assert.deepEqual(kv('tab\\tkey=a\\tb\\nc\\rd\\fe\\\\f\\u0041\\u00e9\\z'), [
      ['tab\tkey', 'a\tb\nc\rd\fe\\fAéz'],
    ])
  })

  it('lets escaped separators and spaces be part of a key', () => {
    assert.deepEqual(kv('a\\=b=c\nx\\:y:z\nsp\\ ace value\n\\#notcomment=1'), [
      ['a=b', 'c'],
      ['x:y', 'z'],
      ['sp ace', 'value'],
      ['#notcomment', '1'],
    ])
  })

  it('refuses a malformed \\u escape and names its line', () => {
    assert.throws(
      () => parseProperties('ok=1\n\nbad=\\u12G4'),
      (e) =>
        e instanceof PropertiesSyntaxError && e.line === 3 && /Malformed \\uxxxx encoding/.test(e.message),
    )
    assert.throws(() => parseProperties('bad=\\u12'), PropertiesSyntaxError)
  })

  it('reports the first natural line of each logical line, for every line ending', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = ['# c', 'a=1', 'b=2\\', '  3', '', 'c=4'].join(eol)
      assert.deepEqual(
        parseProperties(text).map((p) => [p.key, p.line]),
        [
          ['a', 2],
          ['b', 3],
          ['c', 6],
        ],
      )
    }
  })

  it('keeps duplicates in order; the map keeps the last', () => {
    const pairs = parseProperties('a=1\nb=2\na=3')
    assert.deepEqual(
      pairs.map((p) => p.value),
      ['1', '2', '3'],
    )
    assert.equal(propertiesToMap(pairs).get('a'), '3')
  })
})

describe('writeProperties', () => {
  it('writes comments, the Java date line and escaped entries', () => {
    const text = writeProperties(
      [
        ['a key', ' lead=x:y#z!w'],
        ['k', 'tab\there\\'],
      ],
      { comments: [''], date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
    )
    assert.equal(
      text,
      '#\n#Tue Jan 02 03:04:05 UTC 2024\na\\ key=\\ lead\\=x\\:y\\#z\\!w\nk=tab\\there\\\\\n',
    )
  })

  it('round-trips any keys and values through parseProperties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), { maxLength: 8 }),
        (entries) => {
          const back = parseProperties(writeProperties(entries, { comments: ['x\ny'] })).map((p) => [
            p.key,
            p.value,
          ])
          assert.deepEqual(back, entries)
        },
      ),
    )
  })

  it('formats dates like java.util.Date#toString in UTC', () => {
    assert.equal(javaDateString(new Date(Date.UTC(2026, 10, 25, 19, 0, 9))), 'Wed Nov 25 19:00:09 UTC 2026')
  })
})
