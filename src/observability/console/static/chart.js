// A time-series chart over uPlot (served by the broker from the uplot package): one line per
// named series; rebuilt only when the set of series changes, otherwise its data is replaced.

import uPlot from '/console/vendor/uPlot.esm.js'
import { h } from './api.js'

const COLORS = ['#2f5fd0', '#d0582f', '#23854a', '#8a3fc7', '#c2a12b', '#1f9bb0', '#c23b7a', '#6b7385']

export class SeriesChart {
  constructor(parent, title, format = (v) => v) {
    this.format = format
    this.plotArea = h('div')
    this.empty = h('div', { class: 'muted' }, 'Waiting for samples…')
    this.el = h('div', { class: 'chart' }, h('h3', {}, title), this.empty, this.plotArea)
    parent.append(this.el)
    this.plot = null
    this.names = ''
  }

  /** `times` in seconds; `series`: name → values aligned with times (null: no value). */
  update(times, series) {
    const names = Object.keys(series)
    this.empty.hidden = times.length >= 2 && names.length > 0
    if (!this.empty.hidden) return
    const data = [times, ...names.map((n) => series[n])]
    if (this.plot === null || this.names !== names.join('\n')) {
      this.plot?.destroy()
      this.names = names.join('\n')
      this.plot = new uPlot(
        {
          width: Math.max(320, this.el.clientWidth - 16),
          height: 220,
          series: [
            {},
            ...names.map((n, i) => ({
              label: n,
              stroke: COLORS[i % COLORS.length],
              width: 1.5,
              spanGaps: false,
              value: (_u, v) => (v === null ? '–' : this.format(v)),
            })),
          ],
          axes: [{}, { values: (_u, ticks) => ticks.map((v) => this.format(v)), size: 70 }],
          scales: { y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
        },
        data,
        this.plotArea,
      )
    } else this.plot.setData(data)
  }

  destroy() {
    this.plot?.destroy()
  }
}
