/**
 * Signal levels in dBFS, relative to full scale (32768). A full-scale sine reads about
 * -3 dBFS RMS and 0 dBFS peak. Silence reads DBFS_FLOOR rather than -Infinity, so levels
 * stay JSON-able in events.
 */
import { LevelKernel } from './level-kernel/level-kernel.js';

export const DBFS_FLOOR = -100;

/** Root mean square of the samples, in sample units. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  return Math.sqrt(LevelKernel.get().sumSquares(samples) / samples.length);
}

/** Largest absolute sample. */
export function peak(samples: Int16Array): number {
  const kernel = LevelKernel.get();
  kernel.scan(samples);
  return kernel.peak;
}

/** Converts an amplitude in sample units to dBFS (floored at DBFS_FLOOR). */
export function amplitudeToDbfs(amplitude: number): number {
  if (amplitude <= 0) return DBFS_FLOOR;
  const db = 20 * Math.log10(amplitude / 32768);
  return Math.max(db, DBFS_FLOOR);
}

/** Converts dBFS to an amplitude in sample units. */
export function dbfsToAmplitude(dbfs: number): number {
  return 32768 * 10 ** (dbfs / 20);
}

export function rmsDbfs(samples: Int16Array): number {
  return amplitudeToDbfs(rms(samples));
}

export function peakDbfs(samples: Int16Array): number {
  return amplitudeToDbfs(peak(samples));
}
