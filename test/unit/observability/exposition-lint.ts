// A strict check of the Prometheus text exposition format (version 0.0.4), for the tests of
// /metrics. The npm parser (parse-prometheus-text-format) must read the text without throwing, but
// it accepts malformed input (bad metric names, non-numeric values, a TYPE declared twice, a
// histogram without its +Inf bucket) and drops the labels of histogram series, so the rules it
// skips are checked here and the samples are read here too: names and label names,
// label value escapes, sample values, HELP/TYPE once per family and before its samples, families
// not interleaved, no duplicate series, histograms with cumulative buckets ending in +Inf = _count.

import parsePrometheusTextFormat from 'parse-prometheus-text-format'

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*'
const VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`
const NUMBER = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/
const SAMPLE_RE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL}=${VALUE}(?:,${LABEL}=${VALUE})*,?)?)\\})? (\\S+)(?: (-?\\d+))?$`,
)
const LABEL_RE = new RegExp(`(${LABEL})=(${VALUE})`, 'g')
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/** Every sample by series name (histograms: name_bucket, name_sum, name_count). */
export type Samples = Map<string, { labels: Record<string, string>; value: number }[]>

/** Throws an Error naming the first offending line; returns the samples. */
export function lintExposition(text: string): Samples {
  const samples: Samples = new Map()
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const closed = new Set<string>()
  const series = new Set<string>()
  const histograms = new Map<string, { buckets: [number, number][]; count: number | null }>()
  let current: string | null = null
  const lines = text.split('\n')
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline')
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${line}`)
    }
    if (line === '') return
    const enter = (family: string) => {
      if (family === current) return
      if (closed.has(family)) fail(`family ${family} continues after another family`)
      if (current !== null) closed.add(current)
      current = family
    }
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME})(?: (.*))?$`).exec(line)
      if (m === null) {
        if (/^# (HELP|TYPE)/.test(line)) fail('malformed HELP/TYPE')
        return
      }
      const [, kind, name, rest] = m
      enter(name)
      if (kind === 'TYPE') {
        if (types.has(name)) fail(`second TYPE for ${name}`)
        if (!TYPES.has(rest ?? '')) fail(`unknown type ${rest}`)
        if ([...series].some((s) => s.startsWith(`${name}{`) || s === name)) fail('TYPE after samples')
        types.set(name, rest!)
      } else {
        if (helps.has(name)) fail(`second HELP for ${name}`)
        helps.add(name)
      }
      return
    }
    const m = SAMPLE_RE.exec(line)
    if (m === null) {
      fail('not a sample line')
      return
    }
    const [, name, labelText = '', value] = m
    if (!NUMBER.test(value)) fail(`bad value ${value}`)
    const labels: Record<string, string> = {}
    for (const l of labelText.matchAll(LABEL_RE)) {
      if (l[1] in labels) fail(`label ${l[1]} twice`)
      if (l[1].startsWith('__')) fail(`reserved label name ${l[1]}`)
      labels[l[1]] = l[2].slice(1, -1)
    }
    const base = name.replace(/_(bucket|sum|count)$/, '')
    const family = types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : name
    enter(family)
    const key = `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(',')}}`
    if (series.has(key)) fail('duplicate series')
    series.add(key)
    const list = samples.get(name) ?? []
    list.push({ labels, value: Number(value) })
    samples.set(name, list)
    if (types.get(family) !== 'histogram') return
    const { le, ...rest } = labels
    const hk = `${family}${JSON.stringify(Object.entries(rest).sort())}`
    let h = histograms.get(hk)
    if (h === undefined) {
      h = { buckets: [], count: null }
      histograms.set(hk, h)
    }
    if (name === `${family}_bucket`) {
      if (le === undefined || !NUMBER.test(le)) fail('bucket without a numeric le')
      h.buckets.push([Number(le === '+Inf' ? Infinity : le), Number(value)])
    } else if (name === `${family}_count`) h.count = Number(value)
    else if (name !== `${family}_sum`) fail(`unexpected sample ${name} in histogram ${family}`)
  })
  for (const [k, h] of histograms) {
    const sorted = [...h.buckets].sort((a, b) => a[0] - b[0])
    if (sorted.at(-1)?.[0] !== Infinity) throw new Error(`histogram ${k} has no +Inf bucket`)
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`histogram ${k} buckets are not cumulative`)
    if (h.count !== sorted.at(-1)![1]) throw new Error(`histogram ${k}: +Inf bucket differs from _count`)
  }
  parsePrometheusTextFormat(text)
  return samples
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(
  samples: Samples,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort())
  return samples.get(name)?.find((x) => JSON.stringify(Object.entries(x.labels).sort()) === want)?.value
}
