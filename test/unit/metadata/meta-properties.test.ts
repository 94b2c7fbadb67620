import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Uuid } from '../../../src/common/ids.ts'
import { MemoryFs } from '../../../src/common/memory-fs.ts'
import {
  checkIdentity,
  formatMetaProperties,
  parseMetaProperties,
  readMetaProperties,
  writeMetaProperties,
} from '../../../src/metadata/embedded/meta-properties.ts'
import { MetadataError } from '../../../src/metadata/errors.ts'

const CLUSTER = 'MkU3OEVBNTcwNTJENDM2Qg'
const DIR_ID = 'b8tRS7h4TJ2Vt43Dp85v2A' as Uuid

describe('meta.properties', () => {
  it('is written exactly as Kafka writes a v1 file', () => {
    const text = formatMetaProperties(
      { version: 1, clusterId: CLUSTER, nodeId: 1, directoryId: DIR_ID },
      new Date(Date.UTC(2024, 2, 14, 10, 17, 37)),
    )
    assert.equal(
      text,
      `#\n#Thu Mar 14 10:17:37 UTC 2024\ncluster.id=${CLUSTER}\ndirectory.id=${DIR_ID}\nnode.id=1\nversion=1\n`,
    )
  })

  it("reads Kafka's v1 and v0 files", () => {
    assert.deepEqual(parseMetaProperties(`#\n#date\nnode.id=3\nversion=1\ncluster.id=${CLUSTER}\n`, 'p'), {
      version: 1,
      clusterId: CLUSTER,
      nodeId: 3,
      directoryId: null,
    })
    // ZooKeeper-era file: no version line, broker.id instead of node.id.
    assert.deepEqual(parseMetaProperties(`broker.id=0\ncluster.id=${CLUSTER}\n`, 'p'), {
      version: 0,
      clusterId: CLUSTER,
      nodeId: 0,
      directoryId: null,
    })
  })

  it('refuses incomplete or malformed files', () => {
    const refused = (text: string, re: RegExp) =>
      assert.throws(
        () => parseMetaProperties(text, '/d/meta.properties'),
        (e) => e instanceof MetadataError && re.test(e.message),
      )
    refused('version=1\nnode.id=1\n', /cluster.id was not specified in the v1 file/)
    refused(`version=1\ncluster.id=${CLUSTER}\n`, /node.id was not specified/)
    refused(`version=1\ncluster.id=${CLUSTER}\nnode.id=one\n`, /Unable to read node.id as a base-10 number/)
    refused('version=7\n', /Unknown meta.properties version 7/)
    refused(`version=1\ncluster.id=${CLUSTER}\nnode.id=1\ndirectory.id=nope\n`, /directory.id/)
  })

  it("checks identity with Kafka's messages", () => {
    const m = { version: 1 as const, clusterId: CLUSTER, nodeId: 1, directoryId: null }
    assert.doesNotThrow(() => checkIdentity(m, 'p', { clusterId: null, nodeId: null }))
    assert.throws(
      () => checkIdentity(m, 'p', { clusterId: null, nodeId: 2 }),
      /Stored node id 1 doesn't match previous node id 2 in p/,
    )
    assert.throws(
      () => checkIdentity(m, 'p', { clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ', nodeId: 1 }),
      /Invalid cluster.id in: p. Expected AAAAAAAAAAAAAAAAAAAAAQ, but read/,
    )
  })

  it('round-trips through the file system, atomically', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/logs')
    assert.equal(await readMetaProperties(fs, '/logs'), null)
    const m = { version: 1 as const, clusterId: CLUSTER, nodeId: 5, directoryId: DIR_ID }
    await writeMetaProperties(fs, '/logs', m, new Date(0))
    assert.deepEqual(await readMetaProperties(fs, '/logs'), m)
    assert.equal(fs.peek('/logs/meta.properties.tmp'), null)
  })
})
