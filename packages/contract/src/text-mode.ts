/**
 * How a corpus became characters, recorded in the checkpoint and the ONNX model so that every
 * runtime reads prompts the way the model was trained (docs/onnx-model.md, "Text"):
 * - `faithful`: the text as written; a line break is a character the model reads and writes.
 * - `lesson`: the fast.ai lesson's pipeline; each line's break is dropped and the lines joined
 *   without a separator, so a model trained that way has never seen one.
 * A file without the key was written before faithful text existed: it is `lesson`.
 */
export type TextMode = 'faithful' | 'lesson';
export const TEXT_MODES: readonly TextMode[] = ['faithful', 'lesson'];

/** What a file that records no text mode was trained on. */
export const LEGACY_TEXT_MODE: TextMode = 'lesson';

/** Line breaks as a text-mode read gives them (Python's universal newlines): "\r\n" and "\r" are "\n". */
export function normaliseLineBreaks(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
