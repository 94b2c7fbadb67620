// The Kafka-named scripts: every bin/*.sh tool has a bin/windows/*.bat twin, both call the same
// samsa tool and pass all arguments through ("$@" / %*). Windows cannot run here, so the .bat files
// are checked by reading them.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { TOOLS } from '../../../src/cli/main.ts'

const BIN = resolve(import.meta.dirname, '../../../bin')
const WIN = join(BIN, 'windows')
// The broker's own scripts call the broker, not a tool.
const NOT_TOOLS = new Set(['kafka-server-start', 'kafka-server-stop'])
// Extra names for a tool: the quickstart guide's `kafka-topic.sh` (singular) runs kafka-topics.
const ALIASES: Record<string, string> = { 'kafka-topic': 'topics' }

const shTools = () =>
  readdirSync(BIN)
    .filter((f) => f.endsWith('.sh') && f !== 'samsa-run.sh')
    .map((f) => f.slice(0, -3))
    .filter((f) => !NOT_TOOLS.has(f))
    .sort()

describe('bin/ scripts', () => {
  it('has a script for every tool, named as Kafka names it', () => {
    const expected = Object.values(TOOLS)
      .map((t) => t.script.slice(0, -3))
      .concat(Object.keys(ALIASES))
      .sort()
    assert.deepEqual(shTools(), expected)
  })

  it('has a .bat twin for every .sh script, calling the same tool with all arguments', () => {
    const bats = readdirSync(WIN)
      .filter((f) => f.endsWith('.bat') && f !== 'samsa-run.bat')
      .map((f) => f.slice(0, -4))
      .filter((f) => !NOT_TOOLS.has(f))
      .sort()
    assert.deepEqual(bats, shTools())
    for (const name of shTools()) {
      const tool = ALIASES[name] ?? Object.entries(TOOLS).find(([, t]) => t.script === `${name}.sh`)![0]
      const sh = readFileSync(join(BIN, `${name}.sh`), 'utf8')
      assert.match(sh, new RegExp(`samsa-run\\.sh" ${tool} "\\$@"\\n$`), name)
      assert.ok(statSync(join(BIN, `${name}.sh`)).mode & 0o100, `${name}.sh is executable`)
      const bat = readFileSync(join(WIN, `${name}.bat`), 'utf8')
      assert.ok(bat.startsWith('@echo off\r\n'), `${name}.bat starts with @echo off`)
      assert.match(bat, new RegExp(`^"%~dp0samsa-run\\.bat" ${tool} %\\*\\r$`, 'm'), name)
    }
  })

  it('runs tools with the pinned Node and passes arguments through (Windows runner read, POSIX runner run)', () => {
    const runner = readFileSync(join(WIN, 'samsa-run.bat'), 'utf8')
    assert.match(runner, /node_modules\\node\\bin\\node\.exe/)
    assert.match(runner, /"%NODE%" "%BASE_DIR%\\bin\\samsa\.js" %\*/)
    const sh = readFileSync(join(BIN, 'samsa-run.sh'), 'utf8')
    assert.match(sh, /node_modules\/\.bin\/node/)
    const out = execFileSync(join(BIN, 'kafka-topics.sh'), ['--version'], { encoding: 'utf8' })
    assert.match(out, /^\d+\.\d+\.\d+\n$/)
  })
})
