// Topics: the list with a create form; a topic's page with its partitions (leader, ISR, offsets
// and sizes of the replicas here), add partitions, delete, and its configs (set or reset).

import { api, fmtBytes, fmtNum, h, message, parsePairs, poll, table } from './api.js'

export function renderTopics(root, session) {
  const status = h('div')
  const list = h('div', { 'data-testid': 'topic-list' })
  root.append(h('h1', {}, 'Topics'))
  if (!session.readOnly) {
    const form = h(
      'form',
      { class: 'inline', 'data-testid': 'create-topic' },
      h('label', {}, 'Name', h('input', { name: 'name', required: true, placeholder: 'orders' })),
      h(
        'label',
        {},
        'Partitions',
        h('input', { name: 'partitions', type: 'number', min: 1, placeholder: 'default' }),
      ),
      h(
        'label',
        {},
        'Replication factor',
        h('input', { name: 'rf', type: 'number', min: 1, placeholder: 'default' }),
      ),
      h(
        'label',
        {},
        'Configs (key=value per line)',
        h('textarea', { name: 'configs', placeholder: 'retention.ms=86400000' }),
      ),
      h('button', { type: 'submit' }, 'Create topic'),
    )
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault()
      const f = new FormData(form)
      try {
        const body = { name: f.get('name'), configs: parsePairs(f.get('configs')) }
        if (f.get('partitions')) body.partitions = Number(f.get('partitions'))
        if (f.get('rf')) body.replicationFactor = Number(f.get('rf'))
        const r = await api('/topics', { method: 'POST', body })
        status.replaceChildren(message('ok', `Created ${r.name} with ${r.partitions} partition(s)`))
        form.reset()
        await refresh()
      } catch (e) {
        status.replaceChildren(message('error', e.message))
      }
    })
    root.append(form)
  }
  root.append(status, list)
  const refresh = async () => {
    const topics = await api('/topics')
    list.replaceChildren(
      table(
        ['Topic', '#Partitions', '#Replication', '#Under-replicated', '#Messages here', '#Size here'],
        topics.map((t) => [
          [
            h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name),
            t.internal ? [' ', h('span', { class: 'pill' }, 'internal')] : null,
          ],
          t.partitions,
          t.replicationFactor,
          t.underReplicated,
          fmtNum(t.messages),
          fmtBytes(t.size),
        ]),
      ),
    )
  }
  return poll(refresh, 5000)
}

export function renderTopic(root, name, session) {
  const status = h('div')
  const body = h('div', { 'data-testid': 'topic-detail' })
  root.append(
    h('h1', {}, 'Topic ', name),
    h('p', {}, h('a', { href: `#/messages?topic=${encodeURIComponent(name)}` }, 'Browse messages →')),
    status,
    body,
  )
  const act = async (what, fn) => {
    try {
      await fn()
      status.replaceChildren(message('ok', what))
      await refresh()
    } catch (e) {
      status.replaceChildren(message('error', e.message))
    }
  }
  const path = `/topics/${encodeURIComponent(name)}`

  const refresh = async () => {
    let t
    try {
      t = await api(path)
    } catch (e) {
      body.replaceChildren(message('error', e.message))
      return
    }
    const partitions = table(
      ['#Partition', '#Leader', 'Replicas', 'ISR', '#Start offset', '#High watermark', '#Size here'],
      t.partitionDetails.map((p) => [
        p.partition,
        p.leader,
        p.replicas.join(', '),
        p.isr.join(', '),
        p.local ? fmtNum(p.local.logStartOffset) : '–',
        p.local ? fmtNum(p.local.highWatermark) : '–',
        p.local ? fmtBytes(p.local.size) : '–',
      ]),
    )
    const configs = table(
      ['Config', 'Value', 'Source', ''],
      t.configs.map((c) => [
        h('span', { title: c.documentation }, c.name),
        c.sensitive ? '(sensitive)' : (c.value ?? 'null'),
        c.source,
        c.override && !session.readOnly
          ? h(
              'button',
              {
                class: 'plain',
                onclick: () =>
                  act(`Reset ${c.name}`, () =>
                    api(`${path}/configs`, { method: 'PATCH', body: { delete: [c.name] } }),
                  ),
              },
              'Reset',
            )
          : '',
      ]),
      (i) => ({ class: t.configs[i].override ? 'override' : null }),
    )
    const admin = []
    if (!session.readOnly && !t.internal) {
      const grow = h(
        'form',
        { class: 'inline', 'data-testid': 'add-partitions' },
        h(
          'label',
          {},
          'New partition count',
          h('input', { name: 'count', type: 'number', min: t.partitions + 1, value: t.partitions + 1 }),
        ),
        h('button', { type: 'submit' }, 'Add partitions'),
      )
      grow.addEventListener('submit', (ev) => {
        ev.preventDefault()
        const count = Number(new FormData(grow).get('count'))
        act(`${name} now has ${count} partitions`, () =>
          api(`${path}/partitions`, { method: 'POST', body: { count } }),
        )
      })
      const names = t.configs.map((c) => h('option', { value: c.name }, c.name))
      const set = h(
        'form',
        { class: 'inline', 'data-testid': 'set-config' },
        h('label', {}, 'Config', h('select', { name: 'name' }, names)),
        h('label', {}, 'Value', h('input', { name: 'value', required: true })),
        h('button', { type: 'submit' }, 'Set config'),
      )
      set.addEventListener('submit', (ev) => {
        ev.preventDefault()
        const f = new FormData(set)
        act(`Set ${f.get('name')}`, () =>
          api(`${path}/configs`, { method: 'PATCH', body: { set: { [f.get('name')]: f.get('value') } } }),
        )
      })
      const del = h(
        'button',
        {
          class: 'danger',
          type: 'button',
          onclick: async () => {
            if (!confirm(`Delete topic ${name} and all its records?`)) return
            try {
              await api(path, { method: 'DELETE' })
              location.hash = '#/topics'
            } catch (e) {
              status.replaceChildren(message('error', e.message))
            }
          },
        },
        'Delete topic',
      )
      admin.push(h('h2', {}, 'Change'), grow, set, h('div', { class: 'toolbar' }, del))
    }
    body.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `Id ${t.topicId} · ${t.partitions} partitions · replication factor ${t.replicationFactor}` +
          ` · ${fmtNum(t.messages)} messages and ${fmtBytes(t.size)} on this broker`,
      ),
      h('h2', {}, 'Partitions'),
      partitions,
      ...admin,
      h('h2', {}, 'Configs'),
      h('p', { class: 'muted' }, 'Highlighted rows are overrides of this topic.'),
      configs,
    )
  }
  refresh()
  return null
}
