import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  collidingTopic,
  collisionWarning,
  invalidTopicNameReason,
  validateTopicName,
} from '../../../src/metadata/topic-name.ts'
import { isUuid, randomUuid, uuidFromBytes, uuidToBytes } from '../../../src/metadata/uuid.ts'

describe('topic names', () => {
  it("accepts Kafka's legal names", () => {
    for (const name of ['a', 'orders', 'A.b_c-9', '...', '_', 'x'.repeat(249)])
      assert.equal(invalidTopicNameReason(name), null, name)
  })

  it("refuses the others with Kafka's reasons", () => {
    assert.equal(validateTopicName(''), 'Topic name is invalid: the empty string is not allowed')
    assert.equal(validateTopicName('.'), "Topic name is invalid: '.' is not allowed")
    assert.equal(validateTopicName('..'), "Topic name is invalid: '..' is not allowed")
    assert.equal(
      validateTopicName('x'.repeat(250)),
      `Topic name is invalid: the length of '${'x'.repeat(250)}' is longer than the max allowed length 249`,
    )
    assert.equal(
      validateTopicName('a b'),
      "Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
    )
    for (const name of ['é', 'a/b', 'a\nb', 'tab\t', 'a:b'])
      assert.notEqual(invalidTopicNameReason(name), null, name)
  })

  it('detects names that collide once . and _ are unified', () => {
    assert.equal(collidingTopic('a.b', ['a_b', 'c']), 'a_b')
    assert.equal(collidingTopic('a_b', ['a.b']), 'a.b')
    assert.equal(collidingTopic('a.b', ['a.b']), null)
    assert.equal(collidingTopic('ab', ['a_b']), null)
    assert.match(collisionWarning('a.b') ?? '', /could collide/)
    assert.equal(collisionWarning('ab'), null)
  })
})

describe('Uuid', () => {
  it('makes version-4 ids of 22 base64url characters, never reserved, never starting with -', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const id = randomUuid()
      assert.ok(isUuid(id), id)
      assert.ok(!id.startsWith('-'))
      const b = uuidToBytes(id)
      assert.equal(b[6]! >> 4, 4)
      assert.equal(b[8]! >> 6, 2)
      seen.add(id)
    }
    assert.equal(seen.size, 500)
  })

  it('skips candidates whose text starts with -', () => {
    const candidates = [Buffer.from('fb'.repeat(16), 'hex'), Buffer.from('11'.repeat(16), 'hex')]
    const id = randomUuid(() => Buffer.from(candidates.shift()!))
    assert.ok(!id.startsWith('-'))
    assert.equal(uuidToBytes(id)[0], 0x11)
    assert.equal(candidates.length, 0)
  })

  it('round-trips bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = uuidFromBytes(bytes)
        assert.ok(isUuid(id))
        assert.deepEqual(new Uint8Array(uuidToBytes(id)), bytes)
      }),
    )
  })
})
