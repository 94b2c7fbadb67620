import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { type OptionDef, OptionError, OptionParser } from '../../../src/cli/args/option-parser.ts'
import { TOPIC_OPTIONS } from '../../../src/cli/topics/options.ts'

const DEFS: OptionDef[] = [
  { name: 'partitions', arg: 'required', type: 'Integer' },
  { name: 'partition-size', arg: 'required' },
  { name: 'topic', arg: 'required' },
  { name: 'topic-id', arg: 'required' },
  { name: 'create' },
  { name: 'config', arg: 'required' },
  { name: 'delete-config', arg: 'required', separator: ',' },
  { name: 'compression-codec', arg: 'optional' },
  { name: 'timeout', arg: 'optional', type: 'Long', defaultValue: '10000' },
  { name: 'members', availableIf: ['describe'] },
  { name: 'describe' },
]

const parse = (argv: string[], defs: OptionDef[] = DEFS) => new OptionParser(defs).parse(argv)
const refused = (argv: string[], message: string, defs: OptionDef[] = DEFS) =>
  assert.throws(
    () => parse(argv, defs),
    (e) => e instanceof OptionError && e.message === message,
  )

describe('option parser (joptsimple rules)', () => {
  it("accepts the guide's --partition 1 for --partitions in kafka-topics.sh", () => {
    const o = new OptionParser(TOPIC_OPTIONS).parse([
      '--create',
      '--topic',
      'q',
      '--partition',
      '1',
      '--bootstrap',
      'h:1',
    ])
    assert.equal(o.value('partitions'), '1')
    assert.equal(o.value('bootstrap-server'), 'h:1')
    assert.equal(o.has('create'), true)
  })

  it('lets an exact name win over longer names it prefixes', () => {
    assert.equal(parse(['--topic', 't']).value('topic'), 't')
    assert.equal(parse(['--topic-', 'x']).value('topic-id'), 'x')
  })

  it("refuses ambiguous and unknown names with joptsimple's message", () => {
    refused(['--partition', '1'], 'partition is not a recognized option')
    refused(['--to', 'x'], 'to is not a recognized option')
    refused(['--zookeeper', 'localhost:2181'], 'zookeeper is not a recognized option')
  })

  it('takes --name=value and the next token, whatever it looks like, for required arguments', () => {
    assert.equal(parse(['--topic=a=b']).value('topic'), 'a=b')
    assert.equal(parse(['--topic', '--create']).value('topic'), '--create')
    assert.equal(parse(['--topic', '--create']).has('create'), false)
  })

  it('reports a missing required argument', () => {
    refused(['--topic'], 'Option topic requires an argument')
  })

  it('takes an optional argument only when the next token is not an option', () => {
    assert.equal(parse(['--compression-codec', 'lz4']).value('compression-codec'), 'lz4')
    const o = parse(['--compression-codec', '--create'])
    assert.equal(o.has('compression-codec'), true)
    assert.equal(o.value('compression-codec'), undefined)
    assert.equal(o.has('create'), true)
    // A negative number is an argument for a numeric option.
    assert.equal(parse(['--timeout', '-5']).value('timeout'), '-5')
  })

  it('repeats values and splits on a value separator', () => {
    const o = parse(['--config', 'a=1', '--config', 'b=2', '--delete-config', 'x,y', '--delete-config', 'z'])
    assert.deepEqual(o.values('config'), ['a=1', 'b=2'])
    assert.deepEqual(o.values('delete-config'), ['x', 'y', 'z'])
    assert.equal(o.value('config'), 'a=1')
  })

  it('gives defaults for absent options only', () => {
    assert.equal(parse([]).value('timeout'), '10000')
    assert.deepEqual(parse([]).values('timeout'), ['10000'])
    assert.equal(parse(['--timeout', '5']).value('timeout'), '5')
    assert.equal(parse([]).has('timeout'), false)
  })

  it('checks typed arguments', () => {
    refused(['--partitions', 'three'], "Cannot parse argument 'three' of option partitions")
    refused(['--partitions', '2147483648'], "Cannot parse argument '2147483648' of option partitions")
    assert.equal(parse(['--partitions', '-1']).number('partitions'), -1)
  })

  it('collects non-option arguments and stops at --', () => {
    const o = parse(['x', '--create', '--', '--topic', 'y', '-'])
    assert.deepEqual(o.nonOptions, ['x', '--topic', 'y', '-'])
    assert.equal(o.has('topic'), false)
  })

  it('accepts a single dash before a whole option name', () => {
    assert.equal(parse(['-topic', 't']).value('topic'), 't')
    refused(['-xyz'], 'x is not a recognized option')
  })

  it('refuses options that are only available with others', () => {
    refused(['--members'], 'Option(s) [members] are unavailable given other options on the command line')
    assert.equal(parse(['--members', '--describe']).has('members'), true)
  })

  it('records every occurrence in order', () => {
    const o = parse(['--topic', 'a', '--create', '--topic', 'b'])
    assert.deepEqual(
      o.occurrences.map((x) => [x.name, x.values]),
      [
        ['topic', ['a']],
        ['create', []],
        ['topic', ['b']],
      ],
    )
  })

  it('resolves every unique prefix of every kafka-topics option to that option (property)', () => {
    const parser = new OptionParser(TOPIC_OPTIONS)
    const names = TOPIC_OPTIONS.map((d) => d.name)
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), (name, cut) => {
        const prefix = name.slice(0, 1 + (cut % name.length))
        const owners = names.filter((n) => n.startsWith(prefix))
        const resolved = parser.resolve(prefix)
        if (names.includes(prefix)) assert.equal(resolved?.name, prefix)
        else if (owners.length === 1) assert.equal(resolved?.name, name)
        else assert.equal(resolved, null)
      }),
      { numRuns: 500 },
    )
  })

  it('never resolves with abbreviations turned off', () => {
    const parser = new OptionParser(DEFS, { abbreviations: false })
    assert.equal(parser.resolve('crea'), null)
    assert.equal(parser.resolve('create')?.name, 'create')
  })
})
