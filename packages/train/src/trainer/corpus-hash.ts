// The fingerprint of the text a run trains on, kept in trainer.json so that --resume can tell a
// corpus that changed (edited, replaced, re-downloaded differently) from the one the run saw: the
// vocabulary alone misses any edit that keeps the same characters.
import type { PreparedCorpus } from '@charrnn/data';

/**
 * SHA-256 (hex) of the prepared corpus: its vocabulary, then its training and validation ids as
 * little-endian int32. WebCrypto, so that Node and a page's trainer compute the same.
 */
export async function corpusSha256(corpus: Pick<PreparedCorpus, 'vocab' | 'train' | 'valid'>): Promise<string> {
  const vocab = new TextEncoder().encode(JSON.stringify(corpus.vocab.itos));
  const bytes = new Uint8Array(8 + vocab.length + 4 * (corpus.train.length + corpus.valid.length));
  const view = new DataView(bytes.buffer);
  // The lengths first, so that moving ids between the parts changes the hash.
  view.setUint32(0, vocab.length, true);
  view.setUint32(4, corpus.train.length, true);
  bytes.set(vocab, 8);
  let at = 8 + vocab.length;
  for (const part of [corpus.train, corpus.valid]) {
    for (let i = 0; i < part.length; i++, at += 4) view.setInt32(at, part[i], true);
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
