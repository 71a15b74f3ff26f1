/**
 * Entry of the browser builds (dist/browser/): the library API and the `<char-rnn-generator>`
 * element in one module, so one `<script type="module">` gives a page both.
 */
export * from '../index.js';
export * from '../element.js';
