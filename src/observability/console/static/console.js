// The console's entry module: hash routing (#/page/arg), the navigation highlight, the session
// line (user, read-only), and the hand-over between pages (each page returns its cleanup).

import { api, h, message } from './api.js'
import { renderGroup, renderGroups } from './page-groups.js'
import { renderMessages } from './page-messages.js'
import { renderOverview } from './page-overview.js'
import { renderThroughput } from './page-throughput.js'
import { renderTopic, renderTopics } from './page-topics.js'

const main = document.getElementById('main')
export const session = { readOnly: false, user: null }
let cleanup = null

function parseRoute() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?')
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent)
  return { page: parts[0] ?? 'overview', arg: parts[1] ?? null, query: new URLSearchParams(query) }
}

async function show() {
  cleanup?.()
  cleanup = null
  const route = parseRoute()
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === route.page)
  main.replaceChildren()
  const pages = {
    overview: () => renderOverview(main),
    topics: () => (route.arg === null ? renderTopics(main, session) : renderTopic(main, route.arg, session)),
    messages: () => renderMessages(main, route.query, session),
    groups: () => (route.arg === null ? renderGroups(main) : renderGroup(main, route.arg)),
    throughput: () => renderThroughput(main),
  }
  const render = pages[route.page]
  if (render === undefined) {
    main.append(message('error', `No page ${route.page}`))
    return
  }
  try {
    cleanup = (await render()) ?? null
  } catch (e) {
    main.append(message('error', e.message))
  }
}

async function start() {
  try {
    Object.assign(session, await api('/session'))
  } catch {}
  const parts = []
  if (session.user) parts.push(`signed in as ${session.user}`)
  if (session.readOnly) parts.push('read-only')
  document
    .getElementById('session')
    .replaceChildren(h('span', { 'data-testid': 'session' }, parts.join(' · ')))
  window.addEventListener('hashchange', show)
  await show()
}

start()
