/**
 * How a bad value appears in a problem line: as JSON (so a string shows its quotes and `undefined`
 * reads as such), cut at 80 characters so a whole vocabulary never floods a message.
 */
export function shown(value: unknown): string {
  return String(JSON.stringify(value)).slice(0, 80);
}
