// Naming rules for generated code: schema names are PascalCase ("TopicData"); properties are
// camelCase ("topicData"); files are kebab-case ("api-versions.ts").

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

export function kebab(name: string): string {
  // Only lower-to-upper boundaries split, so "KRaftVersionRecord" becomes kraft-version-record.
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally ' +
    'for function if import in instanceof new null return super switch this throw true try typeof var void ' +
    'while with yield let static implements interface package private protected public await arguments eval ' +
    // names the generated functions use for their own parameters
    'r v w m s'
  ).split(' '),
)

/** A local variable name for a field, never clashing with keywords or the generated parameters. */
export function localName(prop: string): string {
  return RESERVED.has(prop) ? `${prop}_` : prop
}

/** A JS string literal (single quotes, as the rest of the code base writes them). */
export function str(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`
}

/** Locale-independent ordering (case-insensitive first), so output is the same on every machine. */
export function byName(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  if (x !== y) return x < y ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}
