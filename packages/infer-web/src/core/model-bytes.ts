/**
 * What bytes that should be an ONNX model are instead. An ONNX ModelProto is binary protobuf and
 * starts with a field tag (0x08 for ir_version), never with printable text; a download of the
 * wrong URL (a repository's web page, a Git LFS pointer, a JSON error) is text, and the protobuf
 * reader would only say "field 7 with wire type 4 at offset 1: not a ModelProto".
 */

/** "starts with `<!doctype html>`" and a hint, when the first bytes are text; undefined otherwise. */
export function textInsteadOfModel(bytes: Uint8Array): { start: string; hint: string } | undefined {
  const head = bytes.subarray(0, 256);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head);
  } catch {
    // A multi-byte character cut at byte 256 is still text; anything else is binary.
    text = new TextDecoder('utf-8').decode(head);
    if (text.slice(0, -1).includes('\ufffd')) return undefined;
  }
  text = text.replace(/^\ufeff/, '');
  // eslint-disable-next-line no-control-regex
  if (text.length === 0 || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return undefined;
  const first = text.trimStart().split(/\r?\n/, 1)[0].slice(0, 60);
  const hint = /^<(!doctype html|html)/i.test(first)
    ? ' (a web page: use the URL of the file itself)'
    : first.startsWith('version https://git-lfs')
      ? ' (a Git LFS pointer: fetch the file it points to)'
      : '';
  return { start: `\`${first}\``, hint };
}
