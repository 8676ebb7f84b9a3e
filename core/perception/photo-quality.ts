/** A problem with the photo itself, each with its own retake coaching. */
export type PhotoProblem = 'dark' | 'overexposed' | 'blurred' | 'small' | 'text-cut-off';

export interface PhotoQuality {
  readonly problems: readonly PhotoProblem[];
  /** Mean luma 0..1 of a downscaled grey copy. */
  readonly brightness: number;
  /**
   * How crisp the sharpest parts' edges are on that copy, whatever their contrast: about 0.5 for
   * crisp edges, 1 / w for edges smeared over w pixels of the 512 px copy; low means blurred.
   * Undefined when the frame has no edges to judge (a blank wall, a black frame).
   */
  readonly sharpness: number | undefined;
  /** Shares 0..1 of the copy clipped to white (luma ≥ 250/255) and crushed to black (≤ 5/255). */
  readonly highlights: number;
  readonly shadows: number;
  /** The original's size as displayed, after EXIF orientation. */
  readonly width: number;
  readonly height: number;
}
