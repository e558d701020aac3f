// A setup file (vitest.config.ts): at the end of every test file, undo what its tests registered with
// test/support/cleanup.ts. Hooks of a setup file are registered before the file's own, so this afterAll
// runs after theirs (which may still read what is about to be removed).
import { afterAll } from 'vitest';
import { undoAll } from './cleanup.js';

afterAll(undoAll);
