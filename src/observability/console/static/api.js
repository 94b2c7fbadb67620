// Shared helpers of the console pages: the JSON API client, a tiny DOM builder, number and byte
// formatting, and the rendering of record bytes as text, JSON or hex.

/** Calls /api<path>; throws an Error carrying the broker's message (and Kafka error name). */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: {} }
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const res = await fetch(`/api${path}`, init)
  const data = await res.json().catch(() => ({}))
  if (!res.ok) {
    const prefix = data.errorName ? `${data.errorName}: ` : ''
    throw new Error(prefix + (data.error ?? `HTTP ${res.status}`))
  }
  return data
}

/** h('td', { class: 'num' }, 'text', otherNode, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'value') el.value = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return
    if (Array.isArray(c)) c.forEach(add)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  children.forEach(add)
  return el
}

/** A table from column heads (prefix '#' = numeric column) and rows of cells. */
export function table(heads, rows, rowAttrs = () => ({})) {
  const num = heads.map((x) => x.startsWith('#'))
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        heads.map((x, i) => h('th', { class: num[i] ? 'num' : null }, x.replace(/^#/, ''))),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r, j) =>
        h(
          'tr',
          rowAttrs(j),
          r.map((c, i) => h('td', { class: num[i] ? 'num' : null }, c)),
        ),
      ),
    ),
  )
}

export function message(kind, text) {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text)
}

export const fmtNum = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'))

export function fmtBytes(n) {
  if (n === null || n === undefined) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = Number(n)
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

export const fmtTime = (ms) =>
  Number(ms) < 0 ? '–' : new Date(Number(ms)).toISOString().replace('T', ' ').replace('Z', '')

/** Record bytes (base64 from the API) as text, pretty JSON or hex; 'auto' picks JSON, then text. */
export function showBytes(b64, format = 'auto') {
  if (b64 === null) return 'null'
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  const hex = () => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
  if (format === 'hex') return hex()
  let text
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return format === 'auto' ? hex() : '(not UTF-8)'
  }
  if (format === 'json' || format === 'auto') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      if (format === 'json') return '(not JSON)'
    }
  }
  return text
}

/** Runs fn now and every `ms` until the returned stop() is called; errors are shown in `where`. */
export function poll(fn, ms) {
  let stopped = false
  let timer = null
  const tick = async () => {
    try {
      await fn()
    } finally {
      if (!stopped) timer = setTimeout(tick, ms)
    }
  }
  tick()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/** `key=value` lines as an object (blank lines ignored). */
export function parsePairs(text) {
  const out = {}
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (t === '') continue
    const eq = t.indexOf('=')
    if (eq <= 0) throw new Error(`expected key=value, got "${t}"`)
    out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim()
  }
  return out
}
