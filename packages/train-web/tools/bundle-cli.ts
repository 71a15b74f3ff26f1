#!/usr/bin/env node
// `nx run train-web:bundle`: builds dist/site/ and prints its files with raw and gzip sizes (JSON).
import { buildSite } from './bundle.js';

try {
  console.log(JSON.stringify(await buildSite(), null, 2));
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
