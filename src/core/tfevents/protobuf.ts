// The few protocol-buffer wire-format pieces the event files need: varints, fixed 32 / 64-bit
// values and length-delimited fields, read from and written to plain bytes. No schema compiler:
// src/core/tfevents/event.ts names the fields.

export type WireValue =
  { wire: 0; value: bigint } | { wire: 1; bytes: Uint8Array } | { wire: 2; bytes: Uint8Array } | { wire: 5; bytes: Uint8Array };

export interface Field {
  number: number;
  value: WireValue;
}

/** Malformed protobuf bytes: `offset` is where inside the message it went wrong. */
export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset} of the message`);
    this.name = 'ProtoError';
  }
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result & 0xffffffffffffffffn, i + 1];
    shift += 7n;
  }
  throw new ProtoError('truncated or overlong varint', pos);
}

/** The fields of one message in order (repeated fields appear several times). */
export function readFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (number === 0) throw new ProtoError('field number 0', start);
    switch (wire) {
      case 0: {
        const [value, after] = readVarint(buf, pos);
        pos = after;
        out.push({ number, value: { wire: 0, value } });
        break;
      }
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (pos + size > buf.length) throw new ProtoError('truncated fixed-size field', start);
        out.push({ number, value: { wire, bytes: buf.subarray(pos, pos + size) } });
        pos += size;
        break;
      }
      case 2: {
        const [len, after] = readVarint(buf, pos);
        if (len > BigInt(buf.length - after)) throw new ProtoError('length-delimited field runs past the end', start);
        pos = after + Number(len);
        out.push({ number, value: { wire: 2, bytes: buf.subarray(after, pos) } });
        break;
      }
      default:
        throw new ProtoError(`unsupported wire type ${wire}`, start);
    }
  }
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const float32 = (b: Uint8Array): number => view(b).getFloat32(0, true);
export const float64 = (b: Uint8Array): number => view(b).getFloat64(0, true);
/** int64 varints are two's complement in 64 bits. */
export const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

/** Builds one message field by field. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];

  private varint(v: bigint): void {
    const bytes: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      bytes.push(b);
    } while (x);
    this.parts.push(Uint8Array.from(bytes));
  }

  private key(number: number, wire: number): void {
    this.varint(BigInt((number << 3) | wire));
  }

  int64(number: number, value: number): this {
    this.key(number, 0);
    this.varint(BigInt(value));
    return this;
  }

  double(number: number, value: number): this {
    const b = new Uint8Array(8);
    view(b).setFloat64(0, value, true);
    this.key(number, 1);
    this.parts.push(b);
    return this;
  }

  float(number: number, value: number): this {
    const b = new Uint8Array(4);
    view(b).setFloat32(0, value, true);
    this.key(number, 5);
    this.parts.push(b);
    return this;
  }

  bytes(number: number, value: Uint8Array): this {
    this.key(number, 2);
    this.varint(BigInt(value.length));
    this.parts.push(value);
    return this;
  }

  string(number: number, value: string): this {
    return this.bytes(number, new TextEncoder().encode(value));
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}
