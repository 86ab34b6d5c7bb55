import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { Rng } from '../../../src/core/random';
import { contentSize, readContentHead, recordReader, streamContent } from '../../../src/data/content';
import { tempDir } from '../../../test/shared/tmp';

test('recordReader: records that span chunks of any size arrive whole, in order, after the header', () => {
  const header = 7;
  const size = 5;
  const n = 40;
  const bytes = new Uint8Array(header + n * size);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i & 255;
  const rng = new Rng(1);
  for (let trial = 0; trial < 20; trial++) {
    const seen: number[][] = [];
    const feed = recordReader(
      header,
      size,
      (i, rec) => seen.push([i, ...rec]),
      (i) => i % 3 !== 1,
    );
    let off = 0;
    while (off < bytes.length) {
      const len = 1 + rng.int(13);
      feed(bytes.subarray(off, off + len), off);
      off += len;
    }
    const want = Array.from({ length: n }, (_, i) => i)
      .filter((i) => i % 3 !== 1)
      .map((i) => [i, ...bytes.subarray(header + i * size, header + (i + 1) * size)]);
    assert.deepEqual(seen, want);
  }
});

test('streamContent, contentSize and readContentHead see the same content in raw and gzip files', async (t) => {
  const dir = tempDir(t);
  const content = Buffer.alloc(9 << 20);
  for (let i = 0; i < content.length; i += 4096) content[i] = (i >> 12) & 255;
  const raw = path.join(dir, 'raw.bin');
  const gz = path.join(dir, 'packed.gz');
  fs.writeFileSync(raw, content);
  fs.writeFileSync(gz, zlib.gzipSync(content));
  for (const file of [raw, gz]) {
    assert.equal(contentSize(file), content.length);
    assert.deepEqual(readContentHead(file, 10), content.subarray(0, 10));
    const got = Buffer.alloc(content.length);
    let chunks = 0;
    const total = await streamContent(file, (chunk, offset) => {
      got.set(chunk, offset);
      chunks++;
    });
    assert.equal(total, content.length);
    assert.ok(chunks > 1, 'read in more than one chunk');
    assert.equal(Buffer.compare(got, content), 0);
  }
});

test('a gzip file that is not gzip inside, and a missing file, name the file', async (t) => {
  const dir = tempDir(t);
  const bad = path.join(dir, 'bad.gz');
  fs.writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]));
  await assert.rejects(
    streamContent(bad, () => {}),
    (e: Error) => e.message.startsWith(`${bad}: cannot decompress`),
  );
  const missing = path.join(dir, 'missing.bin');
  assert.throws(
    () => contentSize(missing),
    (e: Error) => e.message === `${missing}: file not found`,
  );
});
