// Reading an ONNX file's protobuf where onnxruntime-web does not: ganzoo's metadata, the graph's inputs, and
// the optional `truncation` input, which the file also holds as an initializer (its default of 1). onnxruntime-web
// accepts only true inputs, so withFeedableTruncation() drops that initializer and the page always feeds psi.
// Field numbers are ONNX's (onnx.proto): ModelProto graph 7, metadata_props 14; GraphProto initializer 5,
// input 11, output 12; ValueInfoProto and TensorProto name 1 and 8; StringStringEntryProto key 1, value 2.

export class DamagedFile extends Error {}

function readVarint(bytes, at) {
  let value = 0, scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= bytes.length) throw new DamagedFile(`it ends inside a number at byte ${at}`);
    const b = bytes[at++];
    value += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [value, at];
    scale *= 128;
  }
  throw new DamagedFile(`a number longer than 10 bytes ends at byte ${at}`);
}

// Every field of one message: {number, start, end, body: [from, to) for length-delimited fields}.
function fields(bytes, from = 0, to = bytes.length) {
  const found = [];
  let at = from;
  while (at < to) {
    const start = at;
    let tag, length;
    [tag, at] = readVarint(bytes, at);
    const number = Math.floor(tag / 8), wire = tag % 8;
    if (number === 0) throw new DamagedFile(`field number 0 at byte ${start}`);
    let body = null;
    if (wire === 0) [, at] = readVarint(bytes, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      [length, at] = readVarint(bytes, at);
      body = [at, at + length];
      at += length;
    } else throw new DamagedFile(`unknown wire type ${wire} at byte ${start}`);
    if (at > to) throw new DamagedFile(`a field at byte ${start} runs past the end`);
    found.push({number, start, end: at, body});
  }
  return found;
}

const text = new TextDecoder('utf-8', {fatal: false});

function stringField(bytes, body, number) {
  const field = fields(bytes, ...body).find((f) => f.number === number && f.body);
  return field ? text.decode(bytes.subarray(...field.body)) : '';
}

// {metadata: {key: value}, inputs: [names], outputs: [names], initializers: [names]}, or DamagedFile.
export function describe(bytes) {
  const model = fields(bytes);
  const graph = model.find((f) => f.number === 7 && f.body);
  if (!graph) throw new DamagedFile('it has no graph');
  const metadata = {};
  for (const f of model.filter((f) => f.number === 14 && f.body)) {
    metadata[stringField(bytes, f.body, 1)] = stringField(bytes, f.body, 2);
  }
  const parts = fields(bytes, ...graph.body);
  const names = (number, nameField) =>
    parts.filter((f) => f.number === number && f.body).map((f) => stringField(bytes, f.body, nameField));
  return {metadata, inputs: names(11, 1), outputs: names(12, 1), initializers: names(5, 8)};
}

function varint(value) {
  const out = [];
  while (value >= 128) { out.push((value % 128) | 0x80); value = Math.floor(value / 128); }
  out.push(value);
  return out;
}

// The same file without the initializer named `truncation` (so that it is an input onnxruntime-web feeds).
export function withFeedableTruncation(bytes) {
  const model = fields(bytes);
  const graph = model.find((f) => f.number === 7 && f.body);
  const drop = fields(bytes, ...graph.body).find(
    (f) => f.number === 5 && f.body && stringField(bytes, f.body, 8) === 'truncation');
  if (!drop) return bytes;
  const graphLength = graph.body[1] - graph.body[0] - (drop.end - drop.start);
  const header = [...varint(7 * 8 + 2), ...varint(graphLength)];
  const out = new Uint8Array(bytes.length - (graph.end - graph.start) + header.length + graphLength);
  let at = 0;
  const put = (part) => { out.set(part, at); at += part.length; };
  put(bytes.subarray(0, graph.start));
  put(header);
  put(bytes.subarray(graph.body[0], drop.start));
  put(bytes.subarray(drop.end, graph.body[1]));
  put(bytes.subarray(graph.end));
  return out;
}
