# An independent reader of TensorBoard event files for the tests: Python standard library only
# (Debian has no python3-tensorboard), with its own CRC-32C and protobuf decoding, so a bug in
# the TypeScript writer is not cancelled by the same bug in the TypeScript reader.
# Prints one JSON line per scalar: {"tag", "step", "value", "wall_time"}; exits 1 on a bad CRC.
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, pos = varint(buf, pos)
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            n, pos = varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError("wire type %d" % wire)
        yield num, wire, val


def main(path):
    data = open(path, "rb").read()
    pos = 0
    first = True
    while pos < len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        if len_crc != masked(crc32c(data[pos:pos + 8])):
            sys.exit("bad length crc at %d" % pos)
        rec = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + length)
        if data_crc != masked(crc32c(rec)):
            sys.exit("bad data crc at %d" % pos)
        pos += 12 + length + 4
        wall, step, values, version = 0.0, 0, [], None
        for num, wire, val in fields(rec):
            if num == 1 and wire == 1:
                (wall,) = struct.unpack("<d", val)
            elif num == 2 and wire == 0:
                step = val
            elif num == 3 and wire == 2:
                version = val.decode()
            elif num == 5 and wire == 2:
                for vnum, vwire, v in fields(val):
                    if vnum != 1:
                        continue
                    tag, simple = None, None
                    for n2, w2, x in fields(v):
                        if n2 == 1:
                            tag = x.decode()
                        elif n2 == 2 and w2 == 5:
                            (simple,) = struct.unpack("<f", x)
                    values.append((tag, simple))
        if first:
            if version != "brain.Event:2":
                sys.exit("first record is not the file version event")
            first = False
            continue
        for tag, simple in values:
            print(json.dumps({"tag": tag, "step": step, "value": simple, "wall_time": wall}))


main(sys.argv[1])
