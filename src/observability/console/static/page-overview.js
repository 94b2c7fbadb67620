// Overview: the cluster at a glance (this broker's view of the metadata), refreshed every 3 s.

import { api, h, message, poll, table } from './api.js'

const card = (label, value, bad = false) =>
  h(
    'div',
    { class: `card${bad ? ' bad' : ''}` },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
  )

export function renderOverview(root) {
  const body = h('div', { 'data-testid': 'overview' })
  root.append(h('h1', {}, 'Cluster overview'), body)
  return poll(async () => {
    let o
    try {
      o = await api('/overview')
    } catch (e) {
      body.replaceChildren(message('error', e.message))
      return
    }
    body.replaceChildren(
      h(
        'div',
        { class: 'cards' },
        card('Cluster id', o.clusterId),
        card('Controller', o.controllerId < 0 ? 'none' : `broker ${o.controllerId}`, o.controllerId < 0),
        card('Brokers', o.brokers.length),
        card('Topics', o.topics),
        card('Partitions', o.partitions),
        card('Under-replicated', o.underReplicatedPartitions, o.underReplicatedPartitions > 0),
        card('Offline', o.offlinePartitions, o.offlinePartitions > 0),
        card('Groups here', o.groupsHere),
      ),
      h('h2', {}, 'Brokers'),
      table(
        ['#Id', 'Host', 'Rack', 'Endpoints', 'Role'],
        o.brokers.map((b) => [
          b.id,
          `${b.host}:${b.port}`,
          b.rack ?? '–',
          b.endpoints.join(', '),
          [b.controller ? 'controller' : null, b.self ? 'this broker' : null].filter(Boolean).join(', ') ||
            '–',
        ]),
      ),
      h(
        'p',
        { class: 'muted' },
        `This broker (${o.nodeId}) leads ${o.leadersHere} and hosts ${o.replicasHere} partition replicas` +
          `${o.activeController ? '; it is the active controller' : ''}.`,
      ),
    )
  }, 3000)
}
