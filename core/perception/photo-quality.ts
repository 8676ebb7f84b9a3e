/** A problem with the photo itself, each with its own retake coaching. */
export type PhotoProblem = 'dark' | 'overexposed' | 'blurred' | 'small' | 'text-cut-off';

export interface PhotoQuality {
  readonly problems: readonly PhotoProblem[];
  /** Mean luma 0..1 of a downscaled grey copy. */
  readonly brightness: number;
  /** Variance of the Laplacian of that copy: low means blurred. */
  readonly sharpness: number;
  readonly width: number;
  readonly height: number;
}
