import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The bot's edges (events, jobs, routing rules) validate with zod's tree-shakable API, zod/mini:
 * notify's bundle carries 43 KB of zod instead of 96 KB, and its first parse generates no code for
 * each object schema, as the full API's fast path does. zod/mini carries no messages of its own;
 * importing this module sets the English ones, so that issues read as they do with the full API.
 *
 * Each schema module imports this for its effect alone, which a bundler keeps only because this
 * package does not declare `"sideEffects": false`; the bundle test checks the locale is bundled.
 */
config(en());
