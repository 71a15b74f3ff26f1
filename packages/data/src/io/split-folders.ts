import { join } from 'node:path';
import type { CorpusSplit } from '../split.js';
import { writeFileAtomic } from '@charrnn/contract/node';

/** The lesson's folders: outDir/trn/train.txt and outDir/val/val.txt, the lines exactly as split. */
export async function writeSplitFolders(outDir: string, split: CorpusSplit): Promise<void> {
  await writeFileAtomic(join(outDir, 'trn', 'train.txt'), split.trainLines.join(''));
  await writeFileAtomic(join(outDir, 'val', 'val.txt'), split.validLines.join(''));
}
