#!/usr/bin/env python3
"""Avro interop with an independent implementation (Apache Avro's Python
library, Debian's python3-avro), in Confluent's wire format through the
local test registry (registry_server.py).

    interop.py write URL OUT   Python writes: register each case's schema
                               under "py-<case>-value", encode the case's
                               datum, frame it (magic byte, id), and write
                               one JSON line per case to OUT:
                               {"case", "hex", "expect"}
    interop.py read URL IN     Python reads what kstream wrote: for each
                               line {"case", "hex", "expect"} of IN, fetch
                               the writer's schema by id, decode, and compare
                               with "expect". Prints "OK <n>", or each
                               mismatch and exits 1.

"expect" is the datum normalized as the C tests normalize kstream values:
records and maps as objects, arrays as lists, unions as their branch's
value, bytes and fixed as lowercase hex, decimals as text with the
schema's scale, enums as symbols, timestamps, dates and times as the
integers they encode, float and double as reals.
"""
import datetime
import decimal
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema

CT = "application/vnd.schemaregistry.v1+json"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
UTC = datetime.timezone.utc

ITEM = {"type": "record", "name": "Item", "fields": [
    {"name": "sku", "type": "string"},
    {"name": "quantity", "type": "int"},
    {"name": "price", "type": "double"}]}
ORDER = {"type": "record", "name": "OrderPlaced", "fields": [
    {"name": "order_id", "type": "string"},
    {"name": "user_id", "type": "string"},
    {"name": "items", "type": {"type": "array", "items": ITEM}},
    {"name": "total", "type": "double"},
    {"name": "timestamp", "type": "long"}]}
ALL = {"type": "record", "name": "All", "namespace": "py", "fields": [
    {"name": "n", "type": "null"},
    {"name": "b", "type": "boolean"},
    {"name": "i", "type": "int"},
    {"name": "l", "type": "long"},
    {"name": "f", "type": "float"},
    {"name": "d", "type": "double"},
    {"name": "by", "type": "bytes"},
    {"name": "s", "type": "string"},
    {"name": "e", "type": {"type": "enum", "name": "E",
                           "symbols": ["A", "B", "C"]}},
    {"name": "fx", "type": {"type": "fixed", "name": "F4", "size": 4}},
    {"name": "arr", "type": {"type": "array", "items": "long"}},
    {"name": "m", "type": {"type": "map", "values": "string"}},
    {"name": "u", "type": ["null", "string", "long"]},
    {"name": "u2", "type": ["null", "string", "long"]},
    {"name": "opt", "type": ["null", {"type": "record", "name": "In",
                                      "fields": [{"name": "x",
                                                  "type": "int"}]}]},
    {"name": "nested", "type": {"type": "map", "values": {
        "type": "array", "items": ["null", "In"]}}}]}
LOGICAL = {"type": "record", "name": "Logical", "fields": [
    {"name": "dec_b", "type": {"type": "bytes", "logicalType": "decimal",
                               "precision": 10, "scale": 2}},
    {"name": "dec_f", "type": {"type": "fixed", "name": "D8", "size": 8,
                               "logicalType": "decimal", "precision": 18,
                               "scale": 4}},
    {"name": "ts_ms", "type": {"type": "long",
                               "logicalType": "timestamp-millis"}},
    {"name": "ts_us", "type": {"type": "long",
                               "logicalType": "timestamp-micros"}},
    {"name": "date", "type": {"type": "int", "logicalType": "date"}},
    {"name": "t_ms", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "t_us", "type": {"type": "long", "logicalType": "time-micros"}},
    {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}}]}
LIST = {"type": "record", "name": "List", "fields": [
    {"name": "value", "type": "int"},
    {"name": "next", "type": ["null", "List"]}]}

CASES = [
    ("order", ORDER, {
        "order_id": "o-1", "user_id": "u-\u00e9", "total": 31.5,
        "timestamp": 1700000000000,
        "items": [{"sku": "A", "quantity": 2, "price": 10.25},
                  {"sku": "B", "quantity": 1, "price": 11.0}]}),
    ("all", ALL, {
        "n": None, "b": True, "i": -2147483648, "l": 9223372036854775807,
        "f": 1.5, "d": -0.1, "by": b"\x00\x01\xfe\xff", "s": "caf\u00e9 \u20ac",
        "e": "C", "fx": b"abcd", "arr": [0, -1, 1 << 40],
        "m": {"k": "v", "": "empty key"}, "u": "str", "u2": -5,
        "opt": {"x": 7}, "nested": {"a": [None, {"x": 1}], "b": []}}),
    ("all_nulls", ALL, {
        "n": None, "b": False, "i": 0, "l": 0, "f": 0.0, "d": 0.0,
        "by": b"", "s": "", "e": "A", "fx": b"\x00\x00\x00\x00", "arr": [],
        "m": {}, "u": None, "u2": None, "opt": None, "nested": {}}),
    ("logical", LOGICAL, {
        "dec_b": decimal.Decimal("-12345.67"),
        "dec_f": decimal.Decimal("123.4567"),
        "ts_ms": datetime.datetime(2023, 11, 14, 22, 13, 20, 123000,
                                   tzinfo=UTC),
        "ts_us": datetime.datetime(2023, 11, 14, 22, 13, 20, 123456,
                                   tzinfo=UTC),
        "date": datetime.date(2023, 11, 14),
        "t_ms": datetime.time(12, 34, 56, 789000),
        "t_us": datetime.time(12, 34, 56, 789012),
        "uuid": "123e4567-e89b-12d3-a456-426614174000"}),
    ("logical_neg", LOGICAL, {
        "dec_b": decimal.Decimal("-0.01"),
        "dec_f": decimal.Decimal("-99999999999999.9999"),
        "ts_ms": datetime.datetime(1969, 12, 31, 23, 59, 59, 999000,
                                   tzinfo=UTC),
        "ts_us": EPOCH,
        "date": datetime.date(1969, 12, 31),
        "t_ms": datetime.time(0, 0),
        "t_us": datetime.time(23, 59, 59, 999999),
        "uuid": "00000000-0000-0000-0000-000000000000"}),
    ("list", LIST, {"value": 1, "next": {"value": 2, "next": None}}),
    ("string", "string", "plain \u00e9"),
    ("long", "long", -(1 << 62)),
]


def norm(schema, d):
    """The normalized form of datum d of schema (see the module doc)."""
    t = schema.type
    if t == "union":
        for b in schema.schemas:
            if avro.io.validate(b, d):
                return norm(b, d)
        raise ValueError("no branch for %r" % (d,))
    lt = schema.get_prop("logicalType")
    if lt == "decimal" and isinstance(d, decimal.Decimal):
        scale = schema.get_prop("scale") or 0
        return format(d.quantize(decimal.Decimal(1).scaleb(-scale)), "f")
    if lt == "timestamp-millis" and isinstance(d, datetime.datetime):
        return (d - EPOCH) // datetime.timedelta(milliseconds=1)
    if lt == "timestamp-micros" and isinstance(d, datetime.datetime):
        return (d - EPOCH) // datetime.timedelta(microseconds=1)
    if lt == "date" and isinstance(d, datetime.date):
        return (d - datetime.date(1970, 1, 1)).days
    if lt in ("time-millis", "time-micros") and isinstance(d, datetime.time):
        us = ((d.hour * 60 + d.minute) * 60 + d.second) * 1000000 + \
            d.microsecond
        return us // 1000 if lt == "time-millis" else us
    if t in ("bytes", "fixed"):
        return bytes(d).hex()
    if t in ("float", "double"):
        return float(d)
    if t in ("int", "long"):
        return int(d)
    if t in ("record", "error"):
        return {f.name: norm(f.type, d[f.name]) for f in schema.fields}
    if t == "array":
        return [norm(schema.items, x) for x in d]
    if t == "map":
        return {k: norm(schema.values, v) for k, v in d.items()}
    return d  # null, boolean, string, enum


def request(url, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Content-Type": CT})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def write(url, out):
    with open(out, "w") as f:
        for name, sch, datum in CASES:
            text = json.dumps(sch)
            schema = avro.schema.parse(text)
            sid = request(url, "POST", "/subjects/py-%s-value/versions" % name,
                          {"schema": text})["id"]
            buf = io.BytesIO()
            buf.write(b"\x00" + struct.pack(">I", sid))
            avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
            f.write(json.dumps({"case": name, "hex": buf.getvalue().hex(),
                                "expect": norm(schema, datum)}) + "\n")
    print("OK %d" % len(CASES))
    return 0


def read(url, path):
    bad = 0
    n = 0
    schemas = {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            raw = bytes.fromhex(rec["hex"])
            n += 1
            if len(raw) < 5 or raw[0] != 0:
                print("%s: bad framing" % rec["case"])
                bad += 1
                continue
            sid = struct.unpack(">I", raw[1:5])[0]
            if sid not in schemas:
                text = request(url, "GET", "/schemas/ids/%d" % sid)["schema"]
                schemas[sid] = avro.schema.parse(text)
            schema = schemas[sid]
            body = io.BytesIO(raw[5:])
            datum = avro.io.DatumReader(schema).read(
                avro.io.BinaryDecoder(body))
            if body.tell() != len(raw) - 5:
                print("%s: %d trailing bytes" % (rec["case"],
                                                 len(raw) - 5 - body.tell()))
                bad += 1
                continue
            got = norm(schema, datum)
            if got != rec["expect"]:
                print("%s: python read %s, kstream wrote %s" % (
                    rec["case"], json.dumps(got), json.dumps(rec["expect"])))
                bad += 1
    if bad:
        return 1
    print("OK %d" % n)
    return 0


def main(argv):
    if len(argv) != 4 or argv[1] not in ("write", "read"):
        print(__doc__, file=sys.stderr)
        return 2
    return (write if argv[1] == "write" else read)(argv[2], argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
