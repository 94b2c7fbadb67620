// Live throughput: messages and bytes in/out per second by topic, and requests per second and
// mean request time by API, from the broker's samples of the last ~10 minutes.

import { api, fmtBytes, h, poll } from './api.js'
import { SeriesChart } from './chart.js'

const perSec = (f) => (v) => `${f(v)}/s`
const round = (v) => (v >= 100 ? Math.round(v) : Number(v.toFixed(2))).toLocaleString('en-US')

export function renderThroughput(root) {
  const grid = h('div', { class: 'charts', 'data-testid': 'charts' })
  const note = h('p', { class: 'muted' })
  root.append(h('h1', {}, 'Throughput'), note, grid)
  const charts = {
    messagesIn: new SeriesChart(grid, 'Messages in', perSec(round)),
    bytesIn: new SeriesChart(grid, 'Bytes in', perSec(fmtBytes)),
    bytesOut: new SeriesChart(grid, 'Bytes out (consumers)', perSec(fmtBytes)),
    requestRate: new SeriesChart(grid, 'Requests', perSec(round)),
    requestAvgMs: new SeriesChart(grid, 'Mean request time (ms)', round),
  }
  const stop = poll(async () => {
    const ts = await api('/timeseries')
    note.textContent = `Sampled every ${ts.intervalMs / 1000} s on this broker (kept for ~10 min); ${ts.times.length} sample(s) so far.`
    for (const [k, chart] of Object.entries(charts)) chart.update(ts.times, ts[k])
  }, 2000)
  return () => {
    stop()
    for (const c of Object.values(charts)) c.destroy()
  }
}
