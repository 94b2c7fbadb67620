// Message browser: pick a topic and partition, start at an offset, a time, or the latest records;
// see keys, values (auto / text / JSON / hex), headers and timestamps. And a test producer.

import { api, fmtNum, fmtTime, h, message, parsePairs, showBytes, table } from './api.js'

export async function renderMessages(root, query, session) {
  const topics = (await api('/topics')).filter((t) => !t.internal || query.get('topic') === t.name)
  root.append(h('h1', {}, 'Messages'))
  if (topics.length === 0) {
    root.append(h('p', { class: 'muted' }, 'No topics yet: create one on the Topics page.'))
    return null
  }
  const topicSelect = h(
    'select',
    { name: 'topic', 'data-testid': 'topic' },
    topics.map((t) => h('option', { value: t.name, selected: t.name === query.get('topic') }, t.name)),
  )
  const partitionSelect = h('select', { name: 'partition', 'data-testid': 'partition' })
  const fillPartitions = () => {
    const t = topics.find((x) => x.name === topicSelect.value)
    partitionSelect.replaceChildren(
      ...Array.from({ length: t.partitions }, (_, i) => h('option', { value: i }, i)),
    )
  }
  fillPartitions()
  topicSelect.addEventListener('change', fillPartitions)

  const mode = h(
    'select',
    { name: 'mode' },
    h('option', { value: 'latest' }, 'latest'),
    h('option', { value: 'offset' }, 'from offset'),
    h('option', { value: 'timestamp' }, 'from time'),
  )
  const from = h('input', { name: 'from', placeholder: 'offset, or time (2026-01-31 12:00 / epoch ms)' })
  const limit = h('input', { name: 'limit', type: 'number', min: 1, max: 500, value: 50 })
  const format = h(
    'select',
    { name: 'format' },
    ['auto', 'text', 'json', 'hex'].map((f) => h('option', { value: f }, f)),
  )
  const results = h('div', { 'data-testid': 'records' })
  const browseForm = h(
    'form',
    { class: 'inline', 'data-testid': 'browse' },
    h('label', {}, 'Topic', topicSelect),
    h('label', {}, 'Partition', partitionSelect),
    h('label', {}, 'Start', mode),
    h('label', {}, 'At', from),
    h('label', {}, 'Limit', limit),
    h('label', {}, 'Show as', format),
    h('button', { type: 'submit' }, 'Load'),
  )

  let last = null
  const draw = () => {
    if (last === null) return
    const r = last
    results.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `${r.topic}-${r.partition}: offsets ${fmtNum(r.logStartOffset)} to ${fmtNum(r.highWatermark)} (high watermark);` +
          ` ${r.records.length} record(s) from ${fmtNum(r.start)}`,
      ),
      table(
        ['#Offset', 'Timestamp', 'Key', 'Value', 'Headers'],
        r.records.map((m) => [
          m.offset,
          h('span', { title: m.timestampType }, fmtTime(m.timestamp)),
          h('pre', { class: 'value' }, showBytes(m.key, format.value === 'json' ? 'text' : format.value)),
          h(
            'pre',
            { class: 'value' },
            showBytes(m.value, format.value) +
              (m.value !== null && m.valueSize > atob(m.value).length ? ` … (${m.valueSize} bytes)` : ''),
          ),
          m.headers.map((x) => h('div', {}, `${x.key}: ${showBytes(x.value, 'text')}`)),
        ]),
      ),
    )
  }
  format.addEventListener('change', draw)
  const load = async () => {
    const q = new URLSearchParams({ limit: limit.value })
    if (mode.value === 'offset') q.set('offset', from.value.trim() || '0')
    if (mode.value === 'timestamp') {
      const v = from.value.trim()
      q.set('timestamp', /^\d+$/.test(v) ? v : String(Date.parse(v)))
    }
    try {
      last = await api(
        `/topics/${encodeURIComponent(topicSelect.value)}/partitions/${partitionSelect.value}/records?${q}`,
      )
      draw()
    } catch (e) {
      results.replaceChildren(message('error', e.message))
    }
  }
  browseForm.addEventListener('submit', (ev) => {
    ev.preventDefault()
    load()
  })
  root.append(browseForm, results)

  if (!session.readOnly) {
    const produced = h('div', { 'data-testid': 'produced' })
    const produceForm = h(
      'form',
      { class: 'inline', 'data-testid': 'produce' },
      h(
        'label',
        {},
        'Partition',
        h('input', { name: 'partition', type: 'number', min: 0, placeholder: 'by key' }),
      ),
      h('label', {}, 'Key', h('input', { name: 'key', placeholder: '(none)' })),
      h('label', {}, 'Value', h('textarea', { name: 'value', required: true })),
      h('label', {}, 'Headers (key=value per line)', h('textarea', { name: 'headers' })),
      h('button', { type: 'submit' }, 'Produce'),
    )
    produceForm.addEventListener('submit', async (ev) => {
      ev.preventDefault()
      const f = new FormData(produceForm)
      try {
        const headers = Object.entries(parsePairs(f.get('headers'))).map(([key, value]) => ({ key, value }))
        const body = { value: f.get('value'), headers }
        if (f.get('key') !== '') body.key = f.get('key')
        if (f.get('partition') !== '') body.partition = Number(f.get('partition'))
        const r = await api(`/topics/${encodeURIComponent(topicSelect.value)}/records`, {
          method: 'POST',
          body,
        })
        produced.replaceChildren(message('ok', `Produced to ${r.topic}-${r.partition} at offset ${r.offset}`))
        partitionSelect.value = String(r.partition)
      } catch (e) {
        produced.replaceChildren(message('error', e.message))
      }
    })
    root.append(h('h2', {}, 'Produce a test message (acks=all)'), produceForm, produced)
  }
  return null
}
