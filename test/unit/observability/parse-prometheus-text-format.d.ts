// Types for parse-prometheus-text-format (the package ships none): what exposition-lint.ts uses.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[]
}
