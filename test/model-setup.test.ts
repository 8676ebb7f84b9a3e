import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { runModelsCommand } from '../tools/models/main.js';
import { findPreset, onnxFiles } from '../core/models/presets.js';
import { HubClient, MANIFEST_FILE, ModelInstallError, ModelStore, readManifest } from '../tools/models/index.js';
import { startFakeHub, type FakeHub, type FakeHubOptions, type FakeRepositoryFile } from './helpers/fake-hub.js';
import { runEntry } from './helpers/run-cli.js';
import { makeTempFolder } from './helpers/temp-folder.js';

const PRESET = findPreset('smolvlm-256m')!;
const DECODER_DATA = 'onnx/decoder_model_merged_q4.onnx_data';
const CPU_FILES = [...PRESET.configFiles, ...onnxFiles(PRESET, 'cpu'), DECODER_DATA, `${DECODER_DATA}_1`];
const CUDA_ONNX = onnxFiles(PRESET, 'cuda');

/** Pseudo-random bytes, so a shifted or repeated chunk would change the checksum. */
function bytes(seed: string, length: number): Buffer {
  const chunks: Buffer[] = [];
  for (let index = 0; chunks.length * 32 < length; index += 1) chunks.push(createHash('sha256').update(`${seed}${index}`).digest());
  return Buffer.concat(chunks).subarray(0, length);
}

const lfs = (seed: string, length: number): FakeRepositoryFile => ({ content: bytes(seed, length), lfs: true });
const REPOSITORY_FILES: Record<string, FakeRepositoryFile> = {
  ...Object.fromEntries(PRESET.configFiles.map((path) => [path, { content: JSON.stringify({ file: path }) }])),
  'onnx/vision_encoder_int8.onnx': lfs('vision', 40_000),
  'onnx/embed_tokens_int8.onnx': lfs('embed', 30_000),
  'onnx/decoder_model_merged_q4.onnx': lfs('decoder', 60_000),
  [DECODER_DATA]: lfs('decoder data', 120_000),
  [`${DECODER_DATA}_1`]: lfs('decoder data 1', 50_000),
  ...Object.fromEntries(CUDA_ONNX.map((path) => [path, lfs(path, 5_000)])),
  // Present in the repository but needed by no cpu session: never fetched.
  'README.md': { content: '# SmolVLM' },
  'onnx/vision_encoder.onnx': lfs('fp32', 9_000),
  'onnx/decoder_model_merged.onnx_data': lfs('fp32 data', 9_000),
  [`${DECODER_DATA}_backup`]: lfs('backup', 1_000),
};
const CPU_BYTES = CPU_FILES.reduce((sum, path) => sum + Buffer.byteLength(REPOSITORY_FILES[path]!.content), 0);

type SetUpOptions = Partial<FakeHubOptions> & { clientToken?: string; attempts?: number; stallTimeoutMs?: number };

/** A fake Hub and a models folder for one test, both gone when it ends. */
async function setUp(context: TestContext, options: SetUpOptions = {}) {
  const hub = await startFakeHub({ repository: PRESET.repository, files: REPOSITORY_FILES, ...options });
  const folder = makeTempFolder();
  context.after(async () => {
    await hub.close();
    folder.remove();
  });
  const client = new HubClient({
    endpoint: hub.endpoint,
    token: options.clientToken,
    attempts: options.attempts ?? 3,
    backoffMs: () => 2,
    stallTimeoutMs: options.stallTimeoutMs ?? 5_000,
  });
  const store = new ModelStore({ modelsDirectory: folder.path, hub: client });
  return { hub, store, modelsDirectory: folder.path, modelFolder: join(folder.path, PRESET.name) };
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
    .sort();
}

function assertSameContent(modelFolder: string, paths: readonly string[]): void {
  for (const path of paths) assert.ok(readFileSync(join(modelFolder, path)).equals(Buffer.from(REPOSITORY_FILES[path]!.content)), path);
}

async function rejection(promise: Promise<unknown>): Promise<ModelInstallError> {
  const error = await promise.then(() => assert.fail('expected a failure'), (failure: unknown) => failure);
  assert.ok(error instanceof ModelInstallError, String(error));
  return error;
}

describe('pull', () => {
  test("fetches the preset's cpu files and their external data into the layout, with a manifest", async (context) => {
    const { hub, store, modelFolder } = await setUp(context, { treePageSize: 4 });
    const progress: [number, number][] = [];
    const result = await store.pull('smolvlm-256m', { onProgress: (done, total) => progress.push([done, total]) });

    assert.deepEqual(filesUnder(modelFolder), [...CPU_FILES, MANIFEST_FILE].sort());
    assertSameContent(modelFolder, CPU_FILES);
    const manifest = await readManifest(modelFolder);
    assert.equal(manifest?.commit, hub.commit);
    assert.deepEqual([manifest?.preset, manifest?.repository, manifest?.revision], [PRESET.name, PRESET.repository, 'main']);
    assert.deepEqual(manifest?.devices, ['cpu']);
    assert.ok(manifest?.files.find((file) => file.path === 'config.json')?.gitOid);
    assert.equal(manifest?.files.find((file) => file.path === DECODER_DATA)?.sha256, createHash('sha256').update(REPOSITORY_FILES[DECODER_DATA]!.content).digest('hex'));
    assert.equal(result.totalBytes, CPU_BYTES);
    assert.deepEqual(progress.at(-1), [CPU_BYTES, CPU_BYTES]);
    assert.ok(progress.every(([done], index) => index === 0 || done >= progress[index - 1]![0]), 'progress never goes back');
  });

  test('re-pulling fetches nothing that is already verified; another device adds only its files', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    await store.pull('smolvlm-256m');
    const second = await store.pull('smolvlm-256m');
    assert.equal(second.presentFiles, CPU_FILES.length);
    for (const path of CPU_FILES) assert.equal(hub.contentRequests(path).length, 1, path);

    await store.pull('smolvlm-256m', { device: 'cuda' });
    for (const path of [...CPU_FILES, ...CUDA_ONNX]) assert.equal(hub.contentRequests(path).length, 1, path);
    const manifest = await readManifest(modelFolder);
    assert.deepEqual(manifest?.devices, ['cpu', 'cuda']);
    assert.deepEqual(manifest?.files.map((file) => file.path).sort(), [...CPU_FILES, ...CUDA_ONNX].sort());
  });

  test('a transfer cut mid-body resumes with a Range request and ends byte-identical', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    hub.cutTransfer(DECODER_DATA, 50_000, 1, { receivedInto: join(modelFolder, `${DECODER_DATA}.partial`) });
    await store.pull('smolvlm-256m');
    const [first, second] = hub.contentRequests(DECODER_DATA);
    assert.equal(first?.range, undefined);
    assert.match(second?.range ?? '', /^bytes=[1-9]\d*-$/);
    assertSameContent(modelFolder, [DECODER_DATA]);
  });

  test('the fake Hub drops a cut connection only once a slow client has read what was sent', async (context) => {
    // A loaded machine: the client reads the body well after the bytes arrived. A fetch body that
    // errors discards unread chunks, so a drop on a timer would leave it nothing to resume from.
    const { hub, modelsDirectory } = await setUp(context);
    const partial = join(modelsDirectory, 'slow-reader.partial');
    hub.cutTransfer('onnx/vision_encoder_int8.onnx', 1000, 1, { receivedInto: partial });
    const redirect = await fetch(`${hub.endpoint}/${PRESET.repository}/resolve/main/onnx/vision_encoder_int8.onnx`, { redirect: 'manual' });
    const response = await fetch(new URL(redirect.headers.get('location')!, hub.endpoint));
    await new Promise((resolve) => setTimeout(resolve, 100));
    let received = 0;
    await assert.rejects(async () => {
      for await (const chunk of response.body!) {
        received += chunk.byteLength;
        appendFileSync(partial, chunk);
      }
    });
    assert.equal(received, 1000);
  });

  test('a connection that goes silent is dropped after the stall timeout and resumed', async (context) => {
    const { hub, store, modelFolder } = await setUp(context, { stallTimeoutMs: 50 });
    hub.stallTransfer(DECODER_DATA, 30_000, 1);
    await store.pull('smolvlm-256m');
    assert.match(hub.contentRequests(DECODER_DATA)[1]?.range ?? '', /^bytes=[1-9]\d*-$/);
    assertSameContent(modelFolder, [DECODER_DATA]);
  });

  test('stopping a pull through its signal keeps what arrived, and the next pull resumes it', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    hub.stallTransfer(DECODER_DATA, 30_000, 1);
    const controller = new AbortController();
    let current = '';
    let fileStart = 0;
    const pulling = store.pull('smolvlm-256m', {
      signal: controller.signal,
      onFile: (path) => (current = path),
      onProgress: (done) => {
        if (current !== DECODER_DATA) fileStart = done;
        else if (done - fileStart === 30_000) controller.abort();
      },
    });
    assert.equal((await rejection(pulling)).kind, 'aborted');
    assert.ok(!existsSync(join(modelFolder, DECODER_DATA)));
    assert.ok(!existsSync(join(modelFolder, MANIFEST_FILE)));
    assert.equal(statSync(join(modelFolder, `${DECODER_DATA}.partial`)).size, 30_000);

    await store.pull('smolvlm-256m');
    assert.match(hub.contentRequests(DECODER_DATA).at(-1)?.range ?? '', /^bytes=[1-9]\d*-$/);
    assertSameContent(modelFolder, CPU_FILES);
  });

  test('an interrupted pull keeps only a .partial file, and the next pull completes it', async (context) => {
    const { hub, store, modelFolder } = await setUp(context, { attempts: 2 });
    hub.cutTransfer(DECODER_DATA, 20_000, 2, { receivedInto: join(modelFolder, `${DECODER_DATA}.partial`) });
    const error = await rejection(store.pull('smolvlm-256m'));
    assert.equal(error.kind, 'network');
    assert.ok(existsSync(join(modelFolder, `${DECODER_DATA}.partial`)));
    assert.ok(!existsSync(join(modelFolder, DECODER_DATA)));
    assert.equal((await store.list()).installed[0]?.complete, false);

    const result = await store.pull('smolvlm-256m');
    assert.equal(result.presentFiles, CPU_FILES.indexOf(DECODER_DATA));
    assert.match(hub.contentRequests(DECODER_DATA).at(-1)?.range ?? '', /^bytes=[1-9]\d*-$/);
    assertSameContent(modelFolder, CPU_FILES);
    assert.equal((await store.list()).installed[0]?.complete, true);
  });

  test('a partial file with bad bytes is resumed, fails the checksum, then is fetched afresh', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    mkdirSync(join(modelFolder, 'onnx'), { recursive: true });
    writeFileSync(join(modelFolder, `${DECODER_DATA}.partial`), Buffer.alloc(10_000, 0x55));
    await store.pull('smolvlm-256m');
    assert.deepEqual(hub.contentRequests(DECODER_DATA).map((request) => request.range), ['bytes=10000-', undefined]);
    assertSameContent(modelFolder, [DECODER_DATA]);
  });

  test('corrupted bytes fail the checksum and never land under the final name', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    hub.corrupt('onnx/embed_tokens_int8.onnx');
    const error = await rejection(store.pull('smolvlm-256m'));
    assert.equal(error.kind, 'checksum');
    assert.match(error.message, /onnx\/embed_tokens_int8\.onnx does not match the checksum/);
    assert.ok(!existsSync(join(modelFolder, 'onnx/embed_tokens_int8.onnx')));
    assert.ok(!existsSync(join(modelFolder, 'onnx/embed_tokens_int8.onnx.partial')));
    assert.ok(!existsSync(join(modelFolder, MANIFEST_FILE)));
  });

  test('a token-protected repository: a clear message without HF_TOKEN, success with it', async (context) => {
    const token = 'hf_secretvalue123';
    const withoutToken = await setUp(context, { token });
    const error = await rejection(withoutToken.store.pull('smolvlm-256m'));
    assert.equal(error.kind, 'unauthorized');
    assert.match(error.message, /needs a token\. Set HF_TOKEN/);

    const withToken = await setUp(context, { token, clientToken: token });
    await withToken.store.pull('smolvlm-256m');
    assert.ok(withToken.hub.requests.filter((request) => request.kind !== 'content').every((request) => request.hasAuthorization));
    const wrongToken = await setUp(context, { token, clientToken: 'hf_wrong' });
    const refused = await rejection(wrongToken.store.pull('smolvlm-256m'));
    assert.match(refused.message, /refused the token in HF_TOKEN/);
    assert.ok(!refused.message.includes('hf_wrong'));
  });

  test('a repository missing a file the preset needs is named before anything is fetched', async (context) => {
    const { 'onnx/embed_tokens_int8.onnx': _missing, ...files } = REPOSITORY_FILES;
    const { hub, store } = await setUp(context, { files });
    const error = await rejection(store.pull('smolvlm-256m'));
    assert.equal(error.kind, 'not-found');
    assert.match(error.message, /has no onnx\/embed_tokens_int8\.onnx/);
    assert.equal(hub.requests.filter((request) => request.kind === 'content').length, 0);
  });
});

describe('verify, list and remove', () => {
  test('verify finds changed, truncated and missing files offline; pull repairs only those', async (context) => {
    const { hub, store, modelFolder } = await setUp(context);
    await store.pull('smolvlm-256m');
    assert.deepEqual((await store.verify('smolvlm-256m')).problems, []);

    const changed = readFileSync(join(modelFolder, 'config.json'));
    changed[0] = changed[0]! ^ 1;
    writeFileSync(join(modelFolder, 'config.json'), changed);
    appendFileSync(join(modelFolder, 'tokenizer.json'), ' ');
    rmSync(join(modelFolder, 'onnx/vision_encoder_int8.onnx'));
    const report = await store.verify('smolvlm-256m');
    assert.equal(report.filesChecked, CPU_FILES.length);
    assert.deepEqual(report.problems, [
      { path: 'config.json', problem: 'checksum-mismatch' },
      { path: 'tokenizer.json', problem: 'wrong-size' },
      { path: 'onnx/vision_encoder_int8.onnx', problem: 'missing' },
    ]);

    await store.pull('smolvlm-256m');
    assert.deepEqual((await store.verify('smolvlm-256m')).problems, []);
    assert.equal(hub.contentRequests('config.json').length, 2);
    assert.equal(hub.contentRequests('onnx/embed_tokens_int8.onnx').length, 1);
  });

  test('remove deletes that model folder only and refuses anything else', async (context) => {
    const { store, modelsDirectory, modelFolder } = await setUp(context);
    await store.pull('smolvlm-256m');
    mkdirSync(join(modelsDirectory, 'smolvlm-500m'));
    mkdirSync(join(modelsDirectory, 'notes'));
    writeFileSync(join(modelsDirectory, 'keep.txt'), 'mine');

    const removed = await store.remove('smolvlm-256m');
    assert.equal(removed.bytesFreed > CPU_BYTES, true);
    assert.ok(!existsSync(modelFolder));
    assert.deepEqual(readdirSync(modelsDirectory).sort(), ['keep.txt', 'notes', 'smolvlm-500m']);
    for (const name of ['notes', 'keep.txt', '..', '../notes', 'smolvlm-256m', '']) {
      await rejection(store.remove(name));
    }
    assert.deepEqual(readdirSync(modelsDirectory).sort(), ['keep.txt', 'notes', 'smolvlm-500m']);
  });
});

/** The command in-process, with captured output and a backoff of milliseconds. */
async function runCommand(hub: FakeHub, modelsDirectory: string, args: string[], options: { isTTY?: boolean; token?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const environment = { MODELS_DIR: modelsDirectory, HF_ENDPOINT: hub.endpoint, ...(options.token ? { HF_TOKEN: options.token } : {}) };
  const code = await runModelsCommand(args, {
    stdout: { isTTY: options.isTTY ?? false, write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    environment,
    envFile: '/nonexistent/.env',
    hubOptions: { backoffMs: () => 2 },
  });
  return { code, stdout, stderr };
}

const PLAIN_TEXT = /^[\x20-\x7e\n]*$/;

describe('the models command', () => {
  test('pull prints a line per tenth; list and verify print plain sentences', async (context) => {
    const { hub, modelsDirectory } = await setUp(context);
    const pulled = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m']);
    assert.deepEqual([pulled.code, pulled.stderr], [0, '']);
    assert.match(pulled.stdout, PLAIN_TEXT);
    const size = `${(CPU_BYTES / 1000).toFixed(1)} KB`;
    assert.ok(pulled.stdout.startsWith(`Pulling smolvlm-256m for cpu, commit ${hub.commit.slice(0, 8)}: 12 files, ${size}.\nDownloaded 10 percent`));
    assert.ok(pulled.stdout.endsWith(`\nDownloaded 100 percent, ${size} of ${size}.\nsmolvlm-256m is ready in ${join(modelsDirectory, 'smolvlm-256m')}.\n`));

    // Same size, other bytes: list (sizes only) still says complete, verify (checksums) does not.
    const config = join(modelsDirectory, 'smolvlm-256m', 'config.json');
    writeFileSync(config, readFileSync(config, 'utf8').toUpperCase());
    const listed = await runCommand(hub, modelsDirectory, ['list']);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^Models folder: .+\nInstalled:\n {2}smolvlm-256m, complete, 30\d\.\d KB on disk, for cpu, commit [0-9a-f]{8}\.\nAvailable:\n/);
    assert.match(listed.stdout, /\n {2}smolvlm-500m, about 400 MB for CPU, not installed\. SmolVLM 500M: /);
    const verified = await runCommand(hub, modelsDirectory, ['verify', 'smolvlm-256m']);
    assert.equal(verified.code, 1);
    assert.equal(verified.stdout, 'Problem: config.json does not match its checksum.\nsmolvlm-256m has 1 problem in 12 files. Run npm run models -- pull smolvlm-256m to repair it.\n');

    const repaired = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m']);
    assert.match(repaired.stdout, /\n11 files, 30\d\.\d KB, are already present and verified\.\nDownloaded 100 percent/);
    const removed = await runCommand(hub, modelsDirectory, ['remove', 'smolvlm-256m']);
    assert.match(removed.stdout, /^Removed smolvlm-256m, freeing 30\d\.\d KB\.\n$/);
  });

  test('on a terminal, progress is one line rewritten in place', async (context) => {
    const { hub, modelsDirectory } = await setUp(context);
    const pulled = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m'], { isTTY: true });
    assert.equal(pulled.code, 0);
    assert.doesNotMatch(pulled.stdout, /Downloaded \d+ percent/);
    assert.match(pulled.stdout, /\r100 percent, 30\d\.\d KB of 30\d\.\d KB, onnx\/decoder_model_merged_q4\.onnx_data_1\u001b\[K\nsmolvlm-256m is ready/);
  });

  test('failures are one plain line on standard error with a non-zero exit', async (context) => {
    const { hub, modelsDirectory } = await setUp(context, { token: 'hf_secretvalue123' });
    const noToken = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m']);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /^Hugging Face refused access to the revision main of HuggingFaceTB\/SmolVLM-256M-Instruct: the repository needs a token\. Set HF_TOKEN .+\.\n$/);

    hub.corrupt('tokenizer.json');
    const corrupted = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m'], { token: 'hf_secretvalue123' });
    assert.equal(corrupted.code, 1);
    assert.equal(corrupted.stderr, 'tokenizer.json does not match the checksum the Hub lists for it; the download was discarded.\n');
    assert.ok(!corrupted.stdout.includes('hf_secretvalue123'));
    assert.ok(!existsSync(join(modelsDirectory, 'smolvlm-256m', 'tokenizer.json')));

    for (const args of [[], ['pull'], ['pull', 'smolvlm-256m', '--device', 'gpu'], ['fetch', 'smolvlm-256m'], ['verify', 'smolvlm-500m']]) {
      const result = await runCommand(hub, modelsDirectory, args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /^[^\n]+\n$/, args.join(' '));
    }
  });
});

describe('pull without network', () => {
  test('the Hub cannot be reached: the failure, then one line with the two other ways to get a model', async (context) => {
    const { hub, modelsDirectory } = await setUp(context);
    await hub.close();
    const result = await runCommand(hub, modelsDirectory, ['pull', 'smolvlm-256m']);
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n');
    assert.equal(lines.length, 3, result.stderr);
    assert.match(lines[0]!, /Run the same command again to retry/);
    assert.equal(
      lines[1],
      `Without network access here, either copy a model folder pulled on another machine into MODELS_DIR (${modelsDirectory}), or use a GPU host that serves the model: set VLM_BACKEND=openai and VLM_BASE_URL.`,
    );
    assert.equal(lines[2], '');
  });
});

describe('the npm run models entry point as its own process', { concurrency: true }, () => {
  const run = (hub: FakeHub, modelsDirectory: string, args: string[]) =>
    runEntry('tools/models/main.ts', args, { environment: { MODELS_DIR: modelsDirectory, HF_ENDPOINT: hub.endpoint } });

  test('list prints plain text and exits 0', async (context) => {
    const { hub, modelsDirectory } = await setUp(context);
    const result = await run(hub, modelsDirectory, ['list']);
    assert.deepEqual([result.code, result.stderr], [0, '']);
    assert.match(result.stdout, PLAIN_TEXT);
    assert.match(result.stdout, /^Models folder: .+\nInstalled: none\.\nAvailable:\n {2}smolvlm-256m, about 210 MB for CPU, not installed\./);
  });

  test('an unknown model: one line naming the known ones, non-zero exit', async (context) => {
    const { hub, modelsDirectory } = await setUp(context);
    const result = await run(hub, modelsDirectory, ['pull', 'nonexistent']);
    assert.notEqual(result.code, 0);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'Unknown model "nonexistent". Known models: smolvlm-256m, smolvlm-500m, smolvlm2-256m, smolvlm2-500m, whisper-tiny, whisper-base, whisper-small, whisper-large-v3-turbo, piper-en-us-lessac-medium, piper-zh-cn-huayan-medium.\n');
  });
});
