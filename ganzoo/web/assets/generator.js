// A ganzoo generator file, run by onnxruntime-web: WebGPU where the browser has an adapter, else WebAssembly
// (threaded where the page is cross-origin isolated), with the reason for any fallback kept for the page.

import {DamagedFile, describe, withFeedableTruncation} from './onnx-file.js';

const ORT = new URL('ort/', import.meta.url).href;

export class NotAGenerator extends Error {}

// What the page needs to know, from ganzoo's metadata (export/SPEC.md); NotAGenerator saying what is missing.
function generatorInfo(file) {
  const m = file.metadata;
  if (!('ganzoo.format_version' in m)) {
    throw new NotAGenerator('it is an ONNX file without ganzoo metadata, not a generator made by `ganzoo export`');
  }
  const latentDim = Number(m['ganzoo.latent_dim']), shape = (m['ganzoo.image_shape'] || '').split(',').map(Number);
  const classes = Number(m['ganzoo.num_classes'] || 0), range = (m['ganzoo.pixel_range'] || '-1,1').split(',').map(Number);
  if (!(latentDim > 0) || shape.length !== 3 || !shape.every((v) => v > 0) || !(classes >= 0) ||
      range.length !== 2 || !(range[1] > range[0])) {
    throw new NotAGenerator('its ganzoo metadata is incomplete (latent_dim, image_shape, num_classes, pixel_range)');
  }
  const major = Number(m['ganzoo.format_version'].split('.')[0]);
  if (major !== 1) throw new NotAGenerator(`it has ONNX format ${m['ganzoo.format_version']}; this page reads 1.x`);
  if (!file.inputs.includes('z') || !file.outputs.includes('images')) {
    throw new NotAGenerator('it lacks the `z` input or the `images` output of a ganzoo generator');
  }
  return {
    latentDim, height: shape[0], width: shape[1], channels: shape[2], classes, range,
    layout: m['ganzoo.layout'] || 'nhwc', truncation: file.inputs.includes('truncation'),
    generator: m['ganzoo.generator'] || '?', dataset: m['ganzoo.dataset'] || '?',
  };
}

async function runtime(preferGpu) {
  if (preferGpu) {
    if (!('gpu' in navigator)) return [await import(ORT + 'ort.wasm.min.mjs'), 'this browser has no WebGPU'];
    let adapter = null;
    try { adapter = await navigator.gpu.requestAdapter(); } catch (e) { /* reported below as no adapter */ }
    if (adapter) return [await import(ORT + 'ort.webgpu.min.mjs'), null];
    return [await import(ORT + 'ort.wasm.min.mjs'), 'WebGPU found no adapter'];
  }
  return [await import(ORT + 'ort.wasm.min.mjs'), null];
}

export class Generator {
  // bytes: the file's contents. Throws DamagedFile, NotAGenerator or onnxruntime's error.
  static async load(bytes, {preferGpu = true} = {}) {
    const info = generatorInfo(describe(bytes));
    const model = info.truncation ? withFeedableTruncation(bytes) : bytes;
    let [ort, fallback] = await runtime(preferGpu);
    ort.env.logLevel = 'error';
    ort.env.wasm.wasmPaths = ORT;
    ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 8) : 1;
    let session;
    if (!fallback && preferGpu) {
      try {
        session = await ort.InferenceSession.create(model, {executionProviders: ['webgpu']});
      } catch (e) {
        fallback = `WebGPU could not run this file (${String(e.message || e).split('\n')[0]})`;
      }
    }
    const backend = session ? 'webgpu' : 'wasm';
    try {
      session = session || await ort.InferenceSession.create(model, {executionProviders: ['wasm']});
    } catch (e) {
      throw new NotAGenerator(`onnxruntime-web could not load it: ${String(e.message || e).split('\n')[0]}`);
    }
    return new Generator(ort, session, info, backend, fallback);
  }

  constructor(ort, session, info, backend, fallback) {
    Object.assign(this, {ort, session, info, backend, fallback});
    this.threads = backend === 'wasm' ? ort.env.wasm.numThreads : null;
  }

  // z: Float32Array [n * latentDim]; labels: array of n class indices (conditional files); psi: a number
  // (files with truncation). Returns {pixels: Uint8ClampedArray [n, H, W, C], ms}.
  async run(z, labels, psi) {
    const {ort, info} = this, n = z.length / info.latentDim;
    const feeds = {z: new ort.Tensor('float32', z, [n, info.latentDim])};
    if (info.classes > 0) feeds.label = new ort.Tensor('int64', BigInt64Array.from(labels, BigInt), [n]);
    if (info.truncation) feeds.truncation = new ort.Tensor('float32', Float32Array.of(psi), []);
    const start = performance.now();
    const images = (await this.session.run(feeds)).images;
    const ms = performance.now() - start;
    return {pixels: toPixels(images.data, info, n), ms};
  }
}

// Generator output (any layout, float or uint8) -> uint8 NHWC, as ganzoo-sample's to_display.
function toPixels(data, info, n) {
  const {height: h, width: w, channels: c, range: [low, high]} = info;
  const out = new Uint8ClampedArray(n * h * w * c), scale = 255 / (high - low);
  const isUint8 = data instanceof Uint8Array;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
      const from = info.layout === 'nchw' ? ((i * c + k) * h + y) * w + x : ((i * h + y) * w + x) * c + k;
      // a Uint8ClampedArray rounds half to even and clips, as numpy's rint and clip do
      out[((i * h + y) * w + x) * c + k] = isUint8 ? data[from] : (data[from] - low) * scale;
    }
  }
  return out;
}

export {DamagedFile};
