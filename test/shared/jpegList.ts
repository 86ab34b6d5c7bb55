// A generated split-list data set of real JPEGs (jpeg-js), each image its own pattern so a wrong
// or reordered image changes the pixels: for the streaming tests (unit and trainer layers).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';

export interface JpegList {
  root: string;
  train: string;
  test: string;
  /** Relative paths, in list order. */
  trainFiles: string[];
  testFiles: string[];
}

/** Image i of class c, w x h RGBA: smooth gradients in the class's hue plus a per-image offset. */
function picture(i: number, c: number, w: number, h: number): Uint8Array {
  const a = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      a[o] = (c * 70 + (x * 200) / w + i * 3) & 255;
      a[o + 1] = ((y * 220) / h + i * 11) & 255;
      a[o + 2] = (c * 40 + (x ^ y) * 9 + i * 5) & 255;
      a[o + 3] = 255;
    }
  }
  return a;
}

export function writeJpegList(dir: string, o: { trainCounts: number[]; testPer: number; width?: number; height?: number }): JpegList {
  const w = o.width ?? 20;
  const h = o.height ?? 15;
  const root = path.join(dir, 'images');
  const trainFiles: string[] = [];
  const testFiles: string[] = [];
  const trainLines: string[] = [];
  const testLines: string[] = [];
  let i = 0;
  const write = (rel: string, c: number): void => {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, jpeg.encode({ width: w, height: h, data: picture(i++, c, w, h) }, 90).data);
  };
  o.trainCounts.forEach((n, c) => {
    for (let k = 0; k < n; k++) {
      const rel = `train/c${c}/${k}.jpg`;
      write(rel, c);
      trainFiles.push(rel);
      trainLines.push(`${rel} ${c}`);
    }
    for (let k = 0; k < o.testPer; k++) {
      const rel = `val/c${c}/${k}.jpg`;
      write(rel, c);
      testFiles.push(rel);
      testLines.push(`${rel} ${c}`);
    }
  });
  const train = path.join(dir, 'train.txt');
  const test = path.join(dir, 'test.txt');
  fs.writeFileSync(train, `${trainLines.join('\n')}\n`);
  fs.writeFileSync(test, `${testLines.join('\n')}\n`);
  return { root, train, test, trainFiles, testFiles };
}
