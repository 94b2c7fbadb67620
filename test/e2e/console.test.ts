// The web console in real Chromium (Debian's `chromium`, driven by playwright-core), against one
// real broker process with the HTTP listener on: the overview, creating a topic, producing a
// message from the page and finding it in the message browser, and a consumer group's lag falling
// to 0 on the groups page while a kafkajs consumer runs. A screenshot of each page is saved under
// test-artifacts/console/ (gitignored) and its path printed. Skipped, with the reason printed,
// only when no Chromium binary is installed (CI installs it).

import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs'
import { type Browser, chromium, type Page } from 'playwright-core'
import { type BrokerProcess, REPO, startBrokerProcess } from '../support/broker-process.ts'

const CHROMIUM = [process.env.SAMSA_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p !== undefined && p !== '' && existsSync(p),
)
const SKIP = CHROMIUM === undefined ? 'no Chromium binary (apt-get install chromium)' : false
if (SKIP) console.log(`# console.test.ts skipped: ${SKIP}`)

const ARTIFACTS = join(REPO, 'test-artifacts', 'console')
const TOPIC = 'console-e2e'
const GROUP = 'console-e2e-group'
const WAIT_MS = 10_000

describe('web console in Chromium', { skip: SKIP }, () => {
  let b: BrokerProcess
  let http = ''
  let browser: Browser
  let page: Page
  let kafka: Kafka
  let producer: Producer | undefined
  let consumer: Consumer | undefined
  const started = Date.now()

  const shot = async (name: string) => {
    const path = join(ARTIFACTS, `${name}.png`)
    await page.screenshot({ path, fullPage: true })
    console.log(`# screenshot: ${path}`)
  }
  const open = async (hash: string) => {
    await page.goto(`${http}/${hash}`)
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const [broker, br] = await Promise.all([
      startBrokerProcess({ config: { 'samsa.http.listeners': 'http://127.0.0.1:0' } }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
    ])
    b = broker
    browser = br
    const m = /started: .* http=(http:\/\/127\.0\.0\.1:\d+)/.exec(b.output())
    assert.ok(m, `the start line names the HTTP listener:\n${b.output()}`)
    http = m[1]!
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
    page.setDefaultTimeout(WAIT_MS)
    kafka = new Kafka({ clientId: 'e2e-console', brokers: [b.bootstrap], logLevel: logLevel.NOTHING })
  })

  after(async () => {
    await consumer?.disconnect().catch(() => {})
    await producer?.disconnect().catch(() => {})
    await browser?.close().catch(() => {})
    await b?.stop()
    b?.cleanup()
    console.log(`# console e2e took ${Date.now() - started} ms`)
  })

  it('shows the cluster overview', async () => {
    await open('#/overview')
    const overview = page.getByTestId('overview')
    await overview.getByText('broker 1').waitFor()
    assert.match((await overview.textContent()) ?? '', /Brokers\s*1/)
    await shot('overview')
  })

  it('creates a topic from the topics page', async () => {
    await open('#/topics')
    const form = page.getByTestId('create-topic')
    await form.locator('input[name=name]').fill(TOPIC)
    await form.locator('input[name=partitions]').fill('2')
    await form.getByRole('button', { name: 'Create topic' }).click()
    await page.getByText(`Created ${TOPIC} with 2 partition(s)`).waitFor()
    await page.getByTestId('topic-list').getByRole('link', { name: TOPIC }).waitFor()
    // The broker really has it, as a Kafka client sees it.
    const admin = kafka.admin()
    await admin.connect()
    try {
      const md = await admin.fetchTopicMetadata({ topics: [TOPIC] })
      assert.equal(md.topics[0]!.partitions.length, 2)
    } finally {
      await admin.disconnect()
    }
    await shot('topics')
    await page.getByTestId('topic-list').getByRole('link', { name: TOPIC }).click()
    await page.getByTestId('topic-detail').getByText('Partitions').first().waitFor()
    assert.equal(
      await page.locator('[data-testid=topic-detail] table').first().locator('tbody tr').count(),
      2,
    )
    await shot('topic')
  })

  let producedPartition = -1

  it('produces a message in the browser and finds it in the message browser', async () => {
    await open(`#/messages?topic=${TOPIC}`)
    const produce = page.getByTestId('produce')
    await produce.locator('input[name=key]').fill('user-1')
    await produce.locator('textarea[name=value]').fill('{"hello":"console"}')
    await produce.locator('textarea[name=headers]').fill('source=e2e')
    await produce.getByRole('button', { name: 'Produce' }).click()
    const ok = page.getByTestId('produced').getByText(/Produced to console-e2e-\d at offset 0/)
    await ok.waitFor()
    producedPartition = Number(/console-e2e-(\d)/.exec((await ok.textContent()) ?? '')![1])
    const browse = page.getByTestId('browse')
    assert.equal(await browse.locator('select[name=partition]').inputValue(), String(producedPartition))
    await browse.locator('select[name=mode]').selectOption('offset')
    await browse.locator('input[name=from]').fill('0')
    await browse.getByRole('button', { name: 'Load' }).click()
    const records = page.getByTestId('records')
    await records.getByText('"hello": "console"').waitFor()
    const text = (await records.textContent()) ?? ''
    assert.match(text, /user-1/)
    assert.match(text, /source: e2e/)
    await shot('messages')
  })

  it("shows a consumer group's lag falling to 0 while a consumer runs", async () => {
    producer = kafka.producer()
    await producer.connect()
    const more = 20
    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: Array.from({ length: more }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    })
    // The group starts at offset 0 everywhere: its lag is every record of the topic.
    // (@platformatic/kafka's admin commits directly; kafkajs' setOffsets joins the group first.)
    const admin = new Admin({ clientId: 'e2e-console-admin', bootstrapBrokers: [b.bootstrap], retries: 3 })
    try {
      await admin.alterConsumerGroupOffsets({
        groupId: GROUP,
        topics: [
          {
            name: TOPIC,
            partitionOffsets: [
              { partition: 0, offset: 0n },
              { partition: 1, offset: 0n },
            ],
          },
        ],
      })
    } finally {
      await admin.close()
    }
    await open('#/groups')
    await page.getByTestId('group-list').getByRole('link', { name: GROUP }).waitFor()
    await shot('groups')
    await open(`#/groups/${GROUP}`)
    const total = page.getByTestId('total-lag')
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=total-lag]')?.textContent === String(n),
      more + 1,
    )
    await shot('group-lagging')

    let seen = 0
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topics: [TOPIC] })
    await consumer.run({
      eachMessage: async () => {
        seen++
      },
    })
    await page.waitForFunction(() => document.querySelector('[data-testid=total-lag]')?.textContent === '0')
    assert.equal(await total.textContent(), '0')
    assert.ok(seen >= more + 1, `the consumer read every record the lag counted (${seen})`)
    const lags = await page.getByTestId('lag').allInnerTexts()
    assert.deepEqual(lags, ['0', '0'])
    await page.getByText('Stable').first().waitFor()
    await shot('group')
  })

  it('draws the live throughput charts', async () => {
    await open('#/throughput')
    // One chart per series set; each draws once two samples exist (sampled every 2 s).
    await page.locator('[data-testid=charts] .uplot').first().waitFor()
    assert.ok((await page.locator('[data-testid=charts] .uplot').count()) >= 3)
    await shot('throughput')
  })
})
