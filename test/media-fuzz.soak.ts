import { mediaFuzzSuite } from './helpers/media-fuzz-suite.js';

// `npm run soak`: thousands of cases, from seeds the default suite does not use.
// FUZZ_CASES sets the cases per format (default 1000), FUZZ_SEED the first seed.
const casesPerFormat = Number(process.env.FUZZ_CASES ?? 1000);
mediaFuzzSuite({
  casesPerFormat,
  throughAssistantPerFormat: Math.ceil(casesPerFormat / 10),
  seed: Number(process.env.FUZZ_SEED ?? 100_000),
});
