import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The bot's edges (events, jobs, routing rules) validate with zod's tree-shakable API, zod/mini:
 * the full API attaches every method to every schema it builds, and notify builds hundreds at each
 * cold start. zod/mini carries no messages of its own; importing this module sets the English
 * ones, so that issues read as they do with the full API.
 */
config(en());
