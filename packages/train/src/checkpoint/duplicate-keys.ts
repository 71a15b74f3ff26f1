/**
 * JSON.parse keeps the last of two equal keys, and a reviver only sees the object afterwards, so
 * a header such as {"w": {…}, "w": {…}} would silently drop a tensor entry (or, inside an entry, a
 * second "data_offsets"). This scan finds such keys in text that JSON.parse has already accepted:
 * it only tracks strings, nesting and which strings are keys; JSON.parse stays the parser.
 */

/** The first key that appears twice in one object of `json` (valid JSON), with the keys leading to that object. */
export function findDuplicateKey(json: string): { key: string; path: string[] } | undefined {
  // One frame per open object or array: an object's keys so far, and whether a key comes next.
  const frames: { keys: Set<string> | null; key: string | undefined; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    const top = frames[frames.length - 1];
    if (ch === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (top.keys.has(key)) return { key, path: frames.slice(0, -1).flatMap((f) => (f.key === undefined ? [] : [f.key])) };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    } else if (ch === '{' || ch === '[') {
      frames.push({ keys: ch === '{' ? new Set() : null, key: undefined, expectKey: ch === '{' });
    } else if (ch === '}' || ch === ']') {
      frames.pop();
    } else if (ch === ',' && top?.keys) {
      top.expectKey = true;
    }
  }
  return undefined;
}
