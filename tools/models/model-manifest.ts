import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * `seed-manifest.json`, written into a model folder once a pull has verified every file. It keeps
 * the sizes and checksums of the exact commit downloaded, so `verify` needs no network and the
 * embedded backend can tell a finished folder from an interrupted one.
 */
export const MANIFEST_FILE = 'seed-manifest.json';

const manifestFileSchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().optional(),
  gitOid: z.string().optional(),
});

const manifestSchema = z.object({
  preset: z.string(),
  repository: z.string(),
  revision: z.string(),
  commit: z.string(),
  devices: z.array(z.enum(['cpu', 'cuda'])).default([]),
  files: z.array(manifestFileSchema),
  pulledAt: z.string(),
});

export type ManifestFile = z.output<typeof manifestFileSchema>;
export type SeedManifest = z.output<typeof manifestSchema>;

/** Undefined when the folder has no manifest or an unreadable one: both mean "not complete". */
export async function readManifest(folder: string): Promise<SeedManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(folder, MANIFEST_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const result = manifestSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written beside and renamed, so a reader never sees half a manifest. */
export async function writeManifest(folder: string, manifest: SeedManifest): Promise<void> {
  const path = join(folder, MANIFEST_FILE);
  await writeFile(`${path}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${path}.partial`, path);
}
