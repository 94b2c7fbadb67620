// zookeeper-server-start.sh finds ZooKeeper where the environment says and runs it: checked with a
// stub zkServer.sh in a temporary ZOOKEEPER_HOME that records its arguments, and with the lookup
// given no system locations, so the result is the same whether or not ZooKeeper is installed here.

import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { captureIo } from '../../../src/cli/common/io.ts'
import { runTool } from '../../../src/cli/main.ts'
import { findZkServer, installInstructions } from '../../../src/cli/zookeeper/locate.ts'

const posix = process.platform !== 'win32'

describe('zookeeper-server-start.sh', { skip: !posix && 'the stub is a POSIX shell script' }, () => {
  let home = ''
  let emptyHome = ''
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'samsa-zk-home-'))
    emptyHome = mkdtempSync(join(tmpdir(), 'samsa-zk-empty-'))
    mkdirSync(join(home, 'bin'))
    // Only shell built-ins: the tool runs it with the test's PATH, which is empty.
    writeFileSync(
      join(home, 'bin', 'zkServer.sh'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not JS
      '#!/bin/sh\nprintf \'%s\\n\' "$@" > "${0%/*}/../args"\nexit "${STUB_EXIT:-0}"\n',
    )
    chmodSync(join(home, 'bin', 'zkServer.sh'), 0o755)
  })
  after(() => {
    rmSync(home, { recursive: true, force: true })
    rmSync(emptyHome, { recursive: true, force: true })
  })

  async function start(env: Record<string, string>, ...argv: string[]) {
    const io = captureIo(new PassThrough(), { PATH: '', ...env })
    const code = await runTool('zookeeper-server-start', argv, io)
    return { code, out: io.stdout(), err: io.stderr() }
  }
  const recorded = () => readFileSync(join(home, 'args'), 'utf8').split('\n').slice(0, -1)

  it("runs $ZOOKEEPER_HOME/bin/zkServer.sh start-foreground with the config's absolute path", async () => {
    const r = await start({ ZOOKEEPER_HOME: home }, 'config/zookeeper.properties')
    assert.deepEqual(r, { code: 0, out: '', err: '' })
    assert.deepEqual(recorded(), ['start-foreground', resolve('config/zookeeper.properties')])
  })

  it('runs zkServer.sh start with -daemon, and exits with its exit code', async () => {
    const r = await start({ ZOOKEEPER_HOME: home, STUB_EXIT: '3' }, '-daemon', 'config/zookeeper.properties')
    assert.equal(r.code, 3)
    assert.deepEqual(recorded(), ['start', resolve('config/zookeeper.properties')])
  })

  it('finds zkServer.sh on PATH when ZOOKEEPER_HOME is not set', () => {
    const script = join(home, 'bin', 'zkServer.sh')
    assert.equal(findZkServer({ PATH: join(home, 'bin') }, []), script)
    assert.equal(findZkServer({ PATH: '' }, [script]), script)
    assert.equal(findZkServer({ PATH: '' }, []), null)
  })

  it('looks only in a set ZOOKEEPER_HOME, even when another ZooKeeper is on PATH', () => {
    assert.equal(findZkServer({ ZOOKEEPER_HOME: emptyHome, PATH: join(home, 'bin') }, []), null)
    assert.equal(
      findZkServer({ ZOOKEEPER_HOME: home, PATH: '' }, ['/nonexistent/zkServer.sh']),
      join(home, 'bin', 'zkServer.sh'),
    )
  })

  it('refuses a missing config file before looking for ZooKeeper', async () => {
    const r = await start({ ZOOKEEPER_HOME: home }, 'no-such.properties')
    assert.deepEqual(r, { code: 1, out: '', err: 'no-such.properties (No such file or directory)\n' })
  })

  it('says how to install ZooKeeper when none is found', () => {
    const text = installInstructions({ PATH: '' })
    assert.ok(text.startsWith('Apache ZooKeeper is not installed. (A single Samsa broker needs no ZooKeeper'))
    assert.match(text, /bin\/kafka-server-start\.sh config\/standalone\.properties/)
    assert.match(text, /sudo apt-get update && sudo apt-get install zookeeper/)
    assert.match(text, /set ZOOKEEPER_HOME=/)
    assert.ok(text.endsWith('Then run this script again.\n'))
  })
})
