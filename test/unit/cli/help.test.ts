import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatHelp, optionDisplay } from '../../../src/cli/args/help.ts'
import type { OptionDef } from '../../../src/cli/args/option-parser.ts'
import { TOPIC_OPTIONS } from '../../../src/cli/topics/options.ts'

describe('usage text (joptsimple layout)', () => {
  it('shows argument types and descriptions as joptsimple does', () => {
    assert.equal(optionDisplay({ name: 'list' }), '--list')
    assert.equal(
      optionDisplay({ name: 'topic', arg: 'required', describedAs: 'topic' }),
      '--topic <String: topic>',
    )
    assert.equal(
      optionDisplay({ name: 'partitions', arg: 'required', type: 'Integer', describedAs: '# of partitions' }),
      '--partitions <Integer: # of partitions>',
    )
    assert.equal(optionDisplay({ name: 'state', arg: 'optional' }), '--state [String]')
  })

  it('sorts options, pads both columns and wraps long cells with a two-space indent', () => {
    const defs: OptionDef[] = [
      { name: 'zeta', help: 'Last.' },
      {
        name: 'bootstrap-server',
        help: 'REQUIRED: The Kafka server to connect to.',
        arg: 'required',
        describedAs: 'server to connect to',
      },
      {
        name: 'alpha',
        help: 'A description long enough to need a second line in the description column here.',
      },
      { name: 'count', help: 'How many.', arg: 'required', type: 'Integer', defaultValue: '5' },
    ]
    // Columns are first sized from the raw cells (options at most 39 wide, descriptions the rest of
    // 80), cells are wrapped, then both columns are sized again from the wrapped cells.
    const expected = [
      'Option                                 Description                          ',
      '------                                 -----------                          ',
      '--alpha                                A description long enough to need a  ',
      '                                         second line in the description     ',
      '                                         column here.                       ',
      '--bootstrap-server <String: server to  REQUIRED: The Kafka server to connect',
      '  connect to>                            to.                                ',
      '--count <Integer>                      How many. (default: 5)               ',
      '--zeta                                 Last.                                ',
      '',
    ].join('\n')
    assert.equal(formatHelp(defs), expected)
  })

  it('keeps every line of kafka-topics.sh usage within 80 columns except single long words', () => {
    const lines = formatHelp(TOPIC_OPTIONS)
      .split('\n')
      .filter((l) => l !== '')
    for (const l of lines) {
      const words = l.trim().split(/\s+/)
      if (l.length > 80)
        assert.ok(
          words.some((w) => w.length > 38),
          `overlong line: ${JSON.stringify(l)}`,
        )
    }
    assert.ok(lines[0].startsWith('Option'))
    assert.ok(lines.some((l) => l.startsWith('--bootstrap-server <String: server to')))
  })
})
