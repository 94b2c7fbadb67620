// Consumer groups coordinated by this broker: list with state and total lag; a group's page with
// its members and their assignments, lag per partition, and its lag over the last minutes.

import { api, fmtNum, h, message, poll, table } from './api.js'
import { SeriesChart } from './chart.js'

const pill = (state) => h('span', { class: `pill ${state}` }, state)

export function renderGroups(root) {
  const body = h('div', { 'data-testid': 'group-list' })
  root.append(h('h1', {}, 'Consumer groups'), body)
  return poll(async () => {
    const groups = await api('/groups')
    body.replaceChildren(
      groups.length === 0
        ? h(
            'p',
            { class: 'muted' },
            'No groups on this broker (a group lives on the broker leading its __consumer_offsets partition).',
          )
        : table(
            ['Group', 'State', 'Protocol', '#Members', '#Lag'],
            groups.map((g) => [
              h('a', { href: `#/groups/${encodeURIComponent(g.groupId)}` }, g.groupId),
              pill(g.state),
              g.protocolType || '–',
              g.members,
              fmtNum(g.lag),
            ]),
          ),
    )
  }, 2000)
}

export function renderGroup(root, groupId) {
  const head = h('div')
  const chartArea = h('div', { class: 'charts' })
  const body = h('div', { 'data-testid': 'group-detail' })
  root.append(h('h1', {}, 'Group ', groupId), head, chartArea, body)
  const chart = new SeriesChart(chartArea, 'Total lag (records)', fmtNum)
  const stop = poll(async () => {
    let g
    try {
      g = await api(`/groups/${encodeURIComponent(groupId)}`)
    } catch (e) {
      body.replaceChildren(message('error', e.message))
      return
    }
    head.replaceChildren(
      h(
        'p',
        {},
        pill(g.state),
        ` ${g.members.length} member(s) · protocol ${g.protocol || '–'} · total lag `,
        h('strong', { 'data-testid': 'total-lag' }, String(g.totalLag)),
      ),
    )
    body.replaceChildren(
      h('h2', {}, 'Lag per partition'),
      table(
        ['Topic', '#Partition', '#Committed', '#Log end', '#Lag', 'Member'],
        g.partitions.map((p) => [
          p.topic,
          p.partition,
          fmtNum(p.committed),
          fmtNum(p.end),
          h('span', { 'data-testid': 'lag' }, String(p.lag)),
          p.member ?? '–',
        ]),
      ),
      h('h2', {}, 'Members'),
      g.members.length === 0
        ? h('p', { class: 'muted' }, 'No members: no consumer of this group is running.')
        : table(
            ['Member', 'Client', 'Host', 'Assignment'],
            g.members.map((m) => [
              m.memberId,
              m.clientId,
              m.clientHost,
              m.assignment === null
                ? '–'
                : m.assignment.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; '),
            ]),
          ),
    )
    const ts = await api('/timeseries')
    chart.update(ts.times, groupId in ts.groupLag ? { [groupId]: ts.groupLag[groupId] } : {})
  }, 1000)
  return () => {
    stop()
    chart.destroy()
  }
}
