// TFRecord framing (docs/run-folder.md, "TensorBoard files"): each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data.
// Reading never throws: a record cut short at the end of the file is "torn" (its writer may
// still be appending: read it next time); a bad CRC is reported with its byte offset.
import { maskedCrc32c } from './crc32c';

const HEADER = 12;
const FOOTER = 4;

export interface RecordProblem {
  /** Byte offset of the record's start in the file. */
  offset: number;
  reason: string;
}

export interface TfRecordRead {
  /** Each good record's data and offset. */
  records: { offset: number; data: Uint8Array }[];
  problems: RecordProblem[];
  /** Offset of a last record cut short (left for later), or null when the file ends cleanly. */
  tornAt: number | null;
  /** Where reading stopped: the end, a torn record, or a header whose length cannot be trusted. */
  end: number;
}

export function readTfRecords(buf: Uint8Array): TfRecordRead {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: TfRecordRead['records'] = [];
  const problems: RecordProblem[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) return { records, problems, tornAt: pos, end: pos };
    const length = dv.getBigUint64(pos, true);
    if (dv.getUint32(pos + 8, true) !== maskedCrc32c(buf, pos, pos + 8)) {
      // Without a trustworthy length the next record cannot be found: stop here.
      problems.push({
        offset: pos,
        reason: `record header has a bad length CRC; the last ${buf.length - pos} bytes of the file are skipped`,
      });
      return { records, problems, tornAt: null, end: pos };
    }
    const dataEnd = pos + HEADER + Number(length);
    if (length > BigInt(buf.length) || dataEnd + FOOTER > buf.length) return { records, problems, tornAt: pos, end: pos };
    if (dv.getUint32(dataEnd, true) !== maskedCrc32c(buf, pos + HEADER, dataEnd)) {
      problems.push({ offset: pos, reason: `record of ${length} bytes has a bad data CRC; skipped` });
    } else {
      records.push({ offset: pos, data: buf.subarray(pos + HEADER, dataEnd) });
    }
    pos = dataEnd + FOOTER;
  }
  return { records, problems, tornAt: null, end: pos };
}

/** One framed record. */
export function frameTfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(data.length), true);
  dv.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, HEADER);
  dv.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}
