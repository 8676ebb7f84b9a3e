/**
 * How long photos are kept, in the unit a person would say: whole days from two days up
 * ("2 days" rather than "48 hours"), hours below that ("24 hours", "1 hour"). Never less than one
 * hour, since the setting is in whole hours.
 */
export function retentionPeriod(hours: number): { readonly unit: 'day' | 'hour'; readonly count: number } {
  const wholeHours = Math.max(1, Math.round(hours));
  return wholeHours >= 48 && wholeHours % 24 === 0 ? { unit: 'day', count: wholeHours / 24 } : { unit: 'hour', count: wholeHours };
}
