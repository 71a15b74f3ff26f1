/** The embedded corpus as the page serves it (the bundler copies @charrnn/data's file beside the page). */
export const EMBEDDED_CORPUS_URL = 'nietzsche.txt';
/** How runs on it are named: the same name `loadCorpus` gives it in Node. */
export const EMBEDDED_CORPUS_NAME = 'embedded:nietzsche.txt';
