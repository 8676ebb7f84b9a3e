/*
 * Numbers every catalogue says, worked out once; each catalogue only puts them into words, so the
 * languages cannot disagree about a limit or a period.
 */

/** "1 photo", "3 photos": the rule English and Spanish share (one, or any other count). */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A size limit in whole megabytes, the unit people know from their phones. */
export function wholeMegabytes(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/** A length of time as whole minutes and the seconds left over ("1 minute 30 seconds"), rounded to the second. */
export function minutesAndSeconds(totalSeconds: number): { readonly minutes: number; readonly seconds: number } {
  const rounded = Math.round(totalSeconds);
  return { minutes: Math.floor(rounded / 60), seconds: rounded % 60 };
}

/**
 * How long photos are kept, in the unit a person would say: whole days from two days up
 * ("2 days" rather than "48 hours"), hours below that ("24 hours", "1 hour"). Never less than one
 * hour, since the setting is in whole hours.
 */
export function retentionPeriod(hours: number): { readonly unit: 'day' | 'hour'; readonly count: number } {
  const wholeHours = Math.max(1, Math.round(hours));
  return wholeHours >= 48 && wholeHours % 24 === 0 ? { unit: 'day', count: wholeHours / 24 } : { unit: 'hour', count: wholeHours };
}
