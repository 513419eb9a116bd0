"use strict";
// The HybridRow RecordIO stream the .NET SDK uses for TransactionalBatch and bulk requests and answers,
// limited to the two schemas of the batch API (Microsoft.Azure.Cosmos/src/Batch/HybridRowBatchSchemas.json):
//   row     = 0x81 (HybridRow v1) | int32 schema id | presence bits of nullable fixed/variable columns |
//             fixed columns | variable columns (varuint length + bytes) | sparse cells (code, path token, value)
//   stream  = segment header row | per record: record header row (int32 length, uint32 CRC-32 of the body) | body row
const { crc32 } = require("zlib");

const VERSION = 0x81;
const SEGMENT_SCHEMA = 2147473648;
const RECORD_SCHEMA = 2147473649;
const OPERATION_SCHEMA = 2145473648;
const RESULT_SCHEMA = 2145473649;

// Layout codes of sparse cells.
const CODE = { BooleanFalse: 2, Boolean: 3, Int32: 7, UInt32: 11, Float64: 16, Utf8: 20, Binary: 21 };

// BatchOperation: fixed and variable columns (in presence-bit order), then sparse properties (path token = index + 1).
const OPERATION_COLUMNS = [
  ["operationType", "int32"], ["resourceType", "int32"], ["partitionKey", "utf8"], ["effectivePartitionKey", "binary"],
  ["id", "utf8"], ["binaryId", "binary"], ["resourceBody", "binary"],
];
const OPERATION_SPARSE = ["indexingDirective", "ifMatch", "ifNoneMatch", "timeToLiveInSeconds", "minimalReturnPreference"];

class HybridRowError extends Error {}

function readVarUInt(buffer, offset) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (offset >= buffer.length) throw new HybridRowError("Truncated varint.");
    const byte = buffer[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [value, offset];
    shift += 7;
    if (shift > 35) throw new HybridRowError("Varint too long.");
  }
}

function writeVarUInt(value) {
  const bytes = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

function readHeader(buffer, offset, schema) {
  if (buffer[offset] !== VERSION) throw new HybridRowError(`Not a HybridRow v1 row at byte ${offset}.`);
  const id = buffer.readInt32LE(offset + 1);
  if (id !== schema) throw new HybridRowError(`Expected schema ${schema} at byte ${offset}, found ${id}.`);
  return offset + 5;
}

/** Decodes one BatchOperation row. */
function readOperation(row) {
  let offset = readHeader(row, 0, OPERATION_SCHEMA);
  const presence = row[offset];
  offset += 1;
  const op = {};
  // Fixed columns take their space whether present or not.
  OPERATION_COLUMNS.forEach(([name, type], bit) => {
    if (type !== "int32") return;
    if (presence & (1 << bit)) op[name] = row.readInt32LE(offset);
    offset += 4;
  });
  OPERATION_COLUMNS.forEach(([name, type], bit) => {
    if (type === "int32" || !(presence & (1 << bit))) return;
    let length;
    [length, offset] = readVarUInt(row, offset);
    const bytes = row.subarray(offset, offset + length);
    offset += length;
    op[name] = type === "utf8" ? bytes.toString("utf8") : bytes;
  });
  while (offset < row.length) {
    const code = row[offset++];
    let token;
    [token, offset] = readVarUInt(row, offset);
    const name = OPERATION_SPARSE[token - OPERATION_COLUMNS.length - 1];
    let value;
    switch (code) {
      case CODE.Boolean: value = true; break;
      case CODE.BooleanFalse: value = false; break;
      case CODE.Int32: value = row.readInt32LE(offset); offset += 4; break;
      case CODE.Utf8:
      case CODE.Binary: {
        let length;
        [length, offset] = readVarUInt(row, offset);
        const bytes = row.subarray(offset, offset + length);
        offset += length;
        value = code === CODE.Utf8 ? bytes.toString("utf8") : bytes;
        break;
      }
      default: throw new HybridRowError(`Unsupported sparse layout code ${code}.`);
    }
    if (name) op[name] = value;
  }
  return op;
}

/** Decodes a batch request stream into its operations. */
function readBatchRequest(buffer) {
  let offset = readHeader(buffer, 0, SEGMENT_SCHEMA);
  const presence = buffer[offset];
  const segmentLength = presence & 1 ? buffer.readInt32LE(offset + 1) : 0;
  offset = segmentLength || offset + 5;
  const operations = [];
  while (offset < buffer.length) {
    offset = readHeader(buffer, offset, RECORD_SCHEMA);
    const length = buffer.readInt32LE(offset);
    const crc = buffer.readUInt32LE(offset + 4);
    offset += 8;
    const body = buffer.subarray(offset, offset + length);
    if (body.length !== length) throw new HybridRowError("Truncated record.");
    if (crc32(body) !== crc) throw new HybridRowError("Record CRC mismatch.");
    operations.push(readOperation(body));
    offset += length;
  }
  return operations;
}

function int32(value) { const b = Buffer.alloc(4); b.writeInt32LE(value); return b; }
function uint32(value) { const b = Buffer.alloc(4); b.writeUInt32LE(value >>> 0); return b; }

/** Encodes one BatchResult row: {statusCode, subStatusCode, eTag?, resourceBody?: Buffer, retryAfterMilliseconds?, requestCharge?}. */
function writeResult(result) {
  const eTag = result.eTag !== undefined ? Buffer.from(result.eTag, "utf8") : null;
  const body = result.resourceBody || null;
  const presence = 0b0011 | (eTag ? 0b0100 : 0) | (body ? 0b1000 : 0);
  const parts = [Buffer.from([VERSION]), int32(RESULT_SCHEMA), Buffer.from([presence]), int32(result.statusCode), int32(result.subStatusCode || 0)];
  if (eTag) parts.push(writeVarUInt(eTag.length), eTag);
  if (body) parts.push(writeVarUInt(body.length), body);
  if (result.retryAfterMilliseconds !== undefined) parts.push(Buffer.from([CODE.UInt32]), writeVarUInt(5), uint32(result.retryAfterMilliseconds));
  if (result.requestCharge !== undefined) {
    const charge = Buffer.alloc(8);
    charge.writeDoubleLE(result.requestCharge);
    parts.push(Buffer.from([CODE.Float64]), writeVarUInt(6), charge);
  }
  return Buffer.concat(parts);
}

/** Encodes the answer stream: a segment header, then a record per result. */
function writeBatchResponse(results) {
  const segment = Buffer.concat([Buffer.from([VERSION]), int32(SEGMENT_SCHEMA), Buffer.from([1]), int32(10)]);
  const records = results.map(result => {
    const body = writeResult(result);
    return Buffer.concat([Buffer.from([VERSION]), int32(RECORD_SCHEMA), int32(body.length), uint32(crc32(body)), body]);
  });
  return Buffer.concat([segment, ...records]);
}

module.exports = { readBatchRequest, writeBatchResponse, HybridRowError, OPERATION_SCHEMA, RESULT_SCHEMA };
