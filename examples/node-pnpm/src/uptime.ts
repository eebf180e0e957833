/** How long since `started`, formatted by the given formatter (ms in production). */
export function uptime(started: number, format: (millis: number) => string): string {
  return format(Math.max(0, Date.now() - started));
}
