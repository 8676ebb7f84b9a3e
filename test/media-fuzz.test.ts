import { mediaFuzzSuite } from './helpers/media-fuzz-suite.js';

// A few hundred seeded cases, a few seconds; `npm run soak` runs thousands (test/media-fuzz.soak.ts).
// A failure names its format, seed and mutations; the same seed gives the same bytes.
mediaFuzzSuite({ casesPerFormat: 60, throughAssistantPerFormat: 8, seed: 1 });
