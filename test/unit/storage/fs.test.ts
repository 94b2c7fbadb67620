// The Fs seam: one contract suite run against the real file system and the memory one, then the
// memory Fs's own power-loss and fault-injection behaviour.

import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { Fs } from '../../../src/common/fs.ts'
import { errnoCode, readAt, writeFileAtomic } from '../../../src/common/fs.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import { NodeFs } from '../../../src/common/node-fs.ts'

const tmpRoots: string[] = []
after(async () => {
  for (const d of tmpRoots) await rm(d, { recursive: true, force: true })
})

const impls: [string, () => Promise<{ fs: Fs; root: string }>][] = [
  ['memory', async () => ({ fs: new MemoryFs({ blockingReads: true }), root: '/root' })],
  [
    'node',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'samsa-fs-'))
      tmpRoots.push(root)
      return { fs: new NodeFs(), root }
    },
  ],
]

for (const [name, make] of impls) {
  describe(`Fs contract: ${name}`, () => {
    it('creates, writes at positions, reads back, reports size', async () => {
      const { fs, root } = await make()
      await fs.mkdir(join(root, 'a/b'))
      const f = await fs.open(join(root, 'a/b/x'), 'rw')
      await f.write(Buffer.from('hello'), 0)
      await f.writev([Buffer.from(' '), Buffer.from('world')], 5)
      assert.equal(await f.size(), 11)
      assert.equal((await readAt(f, 0, 11)).toString(), 'hello world')
      assert.equal((await readAt(f, 6, 100)).toString(), 'world', 'short read at end of file')
      await f.write(Buffer.from('W'), 6)
      await f.sync()
      await f.truncate(7)
      await f.close()
      assert.equal((await fs.readFile(join(root, 'a/b/x'))).toString(), 'hello W')
      assert.deepEqual(await fs.readdir(join(root, 'a/b')), ['x'])
      const st = await fs.stat(join(root, 'a/b/x'))
      assert.equal(st?.size, 7)
      assert.equal(st?.isDirectory, false)
      assert.equal((await fs.stat(join(root, 'a')))?.isDirectory, true)
      assert.equal(await fs.stat(join(root, 'nope')), null)
    })

    it('writes blocking like writev, when it offers that', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      const f = await fs.open(join(root, 'wb'), 'rw')
      if (f.writevBlocking === undefined) {
        assert.equal(name, 'memory', 'the real file system offers blocking writes')
        await f.close()
        return
      }
      f.writevBlocking([Buffer.from('hello')], 0)
      f.writevBlocking([Buffer.from(' '), Buffer.alloc(0), Buffer.from('world')], 5)
      f.writevBlocking([Buffer.from('W')], 6)
      assert.equal(await f.size(), 11)
      assert.equal((await readAt(f, 0, 11)).toString(), 'hello World')
      await f.close()
    })

    it('opens read-only files only when they exist', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      await assert.rejects(fs.open(join(root, 'missing'), 'r'), (e) => errnoCode(e) === 'ENOENT')
      await assert.rejects(fs.readFile(join(root, 'missing')), (e) => errnoCode(e) === 'ENOENT')
    })

    it('renames over an existing file, unlinks, removes trees', async () => {
      const { fs, root } = await make()
      await fs.mkdir(join(root, 'd/e'))
      await writeFileAtomic(fs, join(root, 'd/one'), Buffer.from('1'))
      await writeFileAtomic(fs, join(root, 'd/two'), Buffer.from('2'))
      await fs.rename(join(root, 'd/one'), join(root, 'd/two'))
      assert.equal((await fs.readFile(join(root, 'd/two'))).toString(), '1')
      assert.deepEqual(await fs.readdir(join(root, 'd')), ['e', 'two'])
      await fs.unlink(join(root, 'd/two'))
      await assert.rejects(fs.unlink(join(root, 'd/two')), (e) => errnoCode(e) === 'ENOENT')
      await fs.syncDir(join(root, 'd'))
      await fs.removeTree(join(root, 'd'))
      assert.equal(await fs.stat(join(root, 'd')), null)
      await fs.removeTree(join(root, 'd'))
    })

    it('keeps an open handle readable after its file is renamed or unlinked', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      const f = await fs.open(join(root, 'seg'), 'rw')
      await f.write(Buffer.from('data'), 0)
      await fs.rename(join(root, 'seg'), join(root, 'seg.deleted'))
      assert.equal((await readAt(f, 0, 4)).toString(), 'data')
      await fs.unlink(join(root, 'seg.deleted'))
      assert.equal((await readAt(f, 0, 4)).toString(), 'data')
      await f.close()
    })

    it('finishes the reads in flight when closed, and fails later ones with EBADF', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      const f = await fs.open(join(root, 'c'), 'rw')
      const data = Buffer.alloc(1 << 20, 7)
      await f.write(data, 0)
      const bufs = [Buffer.alloc(data.length), Buffer.alloc(data.length)]
      const reads = bufs.map((b) => f.read(b, 0, b.length, 0))
      const closing = f.close()
      assert.deepEqual(await Promise.all(reads), [data.length, data.length])
      await closing
      assert.ok(bufs.every((b) => b.equals(data)))
      await assert.rejects(f.read(Buffer.alloc(4), 0, 4, 0), (err) => errnoCode(err) === 'EBADF')
    })

    it('reads with a blocking call what a read returns, and fails it with EBADF once closed', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      const f = await fs.open(join(root, 'b'), 'rw')
      const data = Buffer.from('0123456789')
      await f.write(data, 0)
      assert.ok(f.readBlocking !== undefined)
      const buf = Buffer.alloc(8, 0)
      assert.equal(f.readBlocking(buf, 1, 6, 3), 6)
      assert.deepEqual(buf, Buffer.from('\x00345678\x00', 'latin1'))
      assert.equal(f.readBlocking(buf, 0, 8, 8), 2, 'short at the end of the file')
      await f.close()
      assert.throws(
        () => f.readBlocking!(buf, 0, 4, 0),
        (err) => errnoCode(err) === 'EBADF',
      )
    })

    it('closes after a read refused for its arguments', async () => {
      const { fs, root } = await make()
      await fs.mkdir(root)
      const f = await fs.open(join(root, 'r'), 'rw')
      await f.write(Buffer.from('abcd'), 0)
      await assert.rejects(async () => f.read(Buffer.alloc(4), 2, 8, 0))
      await f.close()
    })
  })
}

describe('MemoryFs power loss', () => {
  it('keeps synced bytes and drops unsynced ones', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    await fs.syncDir('/')
    const f = await fs.open('/d/f', 'rw')
    await fs.syncDir('/d')
    await f.write(Buffer.from('durable'), 0)
    await f.sync()
    await f.write(Buffer.from('-volatile'), 7)
    fs.crash()
    assert.equal((await fs.readFile('/d/f')).toString(), 'durable')
    await assert.rejects(f.read(Buffer.alloc(1), 0, 1, 0), (e) => errnoCode(e) === 'EBADF')
  })

  it('loses files whose directory entry was never synced', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    await fs.syncDir('/')
    await fs.syncDir('/d')
    const f = await fs.open('/d/new', 'rw')
    await f.write(Buffer.from('x'), 0)
    await f.sync()
    fs.crash()
    assert.equal(await fs.stat('/d/new'), null)
  })

  it('undoes unsynced renames and unlinks', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    await fs.syncDir('/')
    await writeFileAtomic(fs, '/d/a', Buffer.from('a'))
    await fs.rename('/d/a', '/d/b')
    fs.crash()
    assert.deepEqual(await fs.readdir('/d'), ['a'])
    await fs.unlink('/d/a')
    fs.crash()
    assert.deepEqual(await fs.readdir('/d'), ['a'])
  })

  it('torn mode keeps a prefix of the unsynced writes, in order', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const fs = new MemoryFs()
      await fs.mkdir('/d')
      await fs.syncDir('/')
      const f = await fs.open('/d/f', 'rw')
      await fs.syncDir('/d')
      await f.write(Buffer.from('AAAA'), 0)
      await f.sync()
      await f.write(Buffer.from('BBBB'), 4)
      await f.write(Buffer.from('CCCC'), 8)
      let s = seed + 1
      const random = (): number => {
        s = (s * 16807) % 2147483647
        return (s % 1000) / 1000
      }
      fs.crash({ mode: 'torn', random })
      const got = (await fs.readFile('/d/f')).toString()
      assert.ok('AAAABBBBCCCC'.startsWith(got) && got.length >= 4, `seed ${seed}: ${got}`)
    }
  })

  it('injects failures: next write (partial), next fsync, by path', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/d')
    const f = await fs.open('/d/log', 'rw')
    fs.failNext({ op: 'write', path: '/d/log', partialBytes: 2, code: 'ENOSPC' })
    await assert.rejects(f.write(Buffer.from('abcd'), 0), (e) => errnoCode(e) === 'ENOSPC')
    assert.equal((await fs.readFile('/d/log')).toString(), 'ab')
    await f.write(Buffer.from('abcd'), 0)
    fs.failNext({ op: 'sync' })
    await assert.rejects(f.sync(), (e) => errnoCode(e) === 'EIO')
    await f.sync()
    fs.failNext({ op: 'open', path: /other/ })
    await fs.open('/d/log', 'r')
    await assert.rejects(fs.open('/d/other', 'rw'), (e) => errnoCode(e) === 'EIO')
    assert.equal(fs.stats.syncs, 1)
  })
})
