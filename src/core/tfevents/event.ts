// TensorFlow's Event / Summary / TensorProto messages, only the fields scalars use
// (docs/run-folder.md, "TensorBoard files"):
//   Event:         1 wall_time (double), 2 step (int64), 3 file_version (string), 5 summary (Summary)
//   Summary:       1 value (repeated Summary.Value)
//   Summary.Value: 1 tag (string), 2 simple_value (float), 8 tensor (TensorProto)
//   TensorProto:   1 dtype (DT_FLOAT 1, DT_DOUBLE 2), 4 tensor_content (bytes, little-endian),
//                  5 float_val (repeated float, packed or not), 6 double_val (repeated double)
// A tensor counts as a scalar when it holds exactly one float or double.
import { ProtoError, ProtoWriter, float32, float64, int64, readFields, type Field } from './protobuf';

export interface ScalarValue {
  tag: string;
  value: number;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  scalars: ScalarValue[];
  /** Summary values that are not scalars (images, histograms, text, non-float tensors): ignored. */
  otherValues: number;
  fileVersion: string | null;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const utf8 = new TextDecoder('utf-8', { fatal: false });

function bytesOf(f: Field): Uint8Array | undefined {
  return f.value.wire === 2 ? f.value.bytes : undefined;
}

/** The values of a repeated float / double field, packed (one length-delimited field) or not. */
function repeatedNumbers(fields: Field[], number: number, size: 4 | 8): number[] {
  const read = size === 4 ? float32 : float64;
  const out: number[] = [];
  for (const f of fields) {
    if (f.number !== number) continue;
    if (f.value.wire === 2) {
      const b = f.value.bytes;
      if (b.length % size !== 0) throw new ProtoError(`packed field ${number} is not a whole number of values`, 0);
      for (let i = 0; i < b.length; i += size) out.push(read(b.subarray(i, i + size)));
    } else if ((size === 4 && f.value.wire === 5) || (size === 8 && f.value.wire === 1)) {
      out.push(read(f.value.bytes));
    }
  }
  return out;
}

/** The single value of a float / double tensor, or undefined for anything else. */
function tensorScalar(bytes: Uint8Array): number | undefined {
  const fields = readFields(bytes);
  let dtype = 0;
  for (const f of fields) if (f.number === 1 && f.value.wire === 0) dtype = Number(f.value.value);
  if (dtype !== DT_FLOAT && dtype !== DT_DOUBLE) return undefined;
  const size = dtype === DT_FLOAT ? 4 : 8;
  const content = fields.find((f) => f.number === 4 && f.value.wire === 2);
  let values: number[];
  if (content && content.value.wire === 2 && content.value.bytes.length > 0) {
    const b = content.value.bytes;
    if (b.length !== size) return undefined;
    values = [size === 4 ? float32(b) : float64(b)];
  } else {
    values = repeatedNumbers(fields, size === 4 ? 5 : 6, size);
  }
  return values.length === 1 ? values[0] : undefined;
}

function decodeValue(bytes: Uint8Array): { tag: string; value: number | undefined } {
  let tag = '';
  let value: number | undefined;
  for (const f of readFields(bytes)) {
    if (f.number === 1) tag = utf8.decode(bytesOf(f) ?? new Uint8Array());
    else if (f.number === 2 && f.value.wire === 5) value = float32(f.value.bytes);
    else if (f.number === 8 && f.value.wire === 2) value = tensorScalar(f.value.bytes);
  }
  return { tag, value };
}

/** Decodes one Event; throws ProtoError for malformed bytes. */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  const ev: DecodedEvent = { wallTime: 0, step: 0, scalars: [], otherValues: 0, fileVersion: null };
  for (const f of readFields(bytes)) {
    if (f.number === 1 && f.value.wire === 1) ev.wallTime = float64(f.value.bytes);
    else if (f.number === 2 && f.value.wire === 0) ev.step = int64(f.value.value);
    else if (f.number === 3 && f.value.wire === 2) ev.fileVersion = utf8.decode(f.value.bytes);
    else if (f.number === 5 && f.value.wire === 2) {
      for (const vf of readFields(f.value.bytes)) {
        if (vf.number !== 1 || vf.value.wire !== 2) continue;
        const v = decodeValue(vf.value.bytes);
        if (v.value === undefined) ev.otherValues++;
        else ev.scalars.push({ tag: v.tag, value: v.value });
      }
    }
  }
  return ev;
}

/** The first record of every event file. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** An Event with scalars as simple_value, the form TensorBoard's scalar dashboard reads. */
export function scalarEvent(wallTime: number, step: number, scalars: readonly ScalarValue[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const s of scalars) summary.bytes(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}
