// An entry page (or try.html): loads a generator, draws a grid of its images, and redraws on every control.
// Tests drive it through window.ganzooPage (docs/zoo-site.md): render() with given latents, gridPixels() back.

import {Generator, NotAGenerator, DamagedFile} from './generator.js';
import {latentVectors, slerp} from './latents.js';

const $ = (id) => document.getElementById(id);
const PADDING = 2;  // between images, as ganzoo-sample's grids
let generator = null, animation = null, renders = 0, firstImageMs = null, form = null;

// A one-line message on the page for anything that goes wrong; the last good grid stays.
function fail(error, what = '') {
  stopInterpolation();
  let reason = String((error && error.message) || error).split('\n')[0];
  if (error instanceof DamagedFile) reason = `it is not an ONNX file, or it is damaged: ${reason}`;
  $('error').textContent = what ? `${what}: ${reason}` : reason;
  $('error').hidden = false;
}

function layout(info) {
  const mixed = info.classes > 0 && $('label').value === 'mixed' && info.classes <= 10;
  return mixed ? {n: 2 * info.classes, columns: info.classes} : {n: 16, columns: 4};
}

function labels(info, n) {
  if (info.classes === 0) return null;
  const chosen = $('label').value;
  return Array.from({length: n}, (_, i) => (chosen === 'mixed' ? i % info.classes : Number(chosen)));
}

function draw(pixels, info, n, columns) {
  const {height: h, width: w, channels: c} = info, rows = Math.ceil(n / columns);
  const canvas = $('images');
  canvas.width = columns * (w + PADDING) + PADDING;
  canvas.height = rows * (h + PADDING) + PADDING;
  const context = canvas.getContext('2d');
  const grid = context.createImageData(canvas.width, canvas.height);
  for (let i = 3; i < grid.data.length; i += 4) grid.data[i] = 255;  // opaque black padding
  for (let i = 0; i < n; i++) {
    const top = PADDING + Math.floor(i / columns) * (h + PADDING), left = PADDING + (i % columns) * (w + PADDING);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const from = ((i * h + y) * w + x) * c, to = ((top + y) * canvas.width + left + x) * 4;
      grid.data[to] = pixels[from];
      grid.data[to + 1] = pixels[from + (c === 3 ? 1 : 0)];
      grid.data[to + 2] = pixels[from + (c === 3 ? 2 : 0)];
    }
  }
  context.putImageData(grid, 0, 0);
  renders += 1;
  firstImageMs = firstImageMs ?? performance.now();  // since the page began to load
}

// Runs the generator on z (and labels, psi) and draws the grid; reports the speed.
async function render({z, labels: chosen, psi, columns}) {
  const info = generator.info, n = z.length / info.latentDim;
  const {pixels, ms} = await generator.run(z, chosen, psi);
  draw(pixels, info, n, columns || Math.ceil(Math.sqrt(n)));
  $('speed').textContent = `· ${n} images in ${ms.toFixed(1)} ms (${Math.round(n / (ms / 1000))} images/s)`;
  $('error').hidden = true;
}

function psi() { return Number($('psi').value); }

async function showSeed() {
  const info = generator.info, {n, columns} = layout(info);
  const seed = Number($('seed').value) >>> 0;
  await render({z: latentVectors(seed, n, info.latentDim), labels: labels(info, n), psi: psi(), columns});
}

function stopInterpolation() {
  animation = null;
  $('interpolate').textContent = 'Interpolate';
}

async function interpolate() {
  if (animation) return stopInterpolation();
  const info = generator.info, {n, columns} = layout(info), dim = info.latentDim;
  const a = latentVectors(Number($('seed').value) >>> 0, n, dim), b = latentVectors(Number($('seed-b').value) >>> 0, n, dim);
  const mine = animation = {t: 0, step: 1 / 40};
  $('interpolate').textContent = 'Stop';
  while (animation === mine) {
    const t = 0.5 - 0.5 * Math.cos(Math.PI * mine.t);  // eased, there and back
    await render({z: slerp(a, b, t, dim), labels: labels(info, n), psi: psi(), columns});
    mine.t = (mine.t + mine.step) % 2;
    await new Promise(requestAnimationFrame);
  }
}

function setControls(info) {
  $('label-control').hidden = info.classes === 0;
  $('label').replaceChildren(new Option('every class', 'mixed'),
    ...Array.from({length: info.classes}, (_, k) => new Option(String(k), String(k))));
  $('psi-control').hidden = !info.truncation;
  $('psi').value = '1';
  $('psi-value').textContent = '1.00';
  $('controls').disabled = false;
}

function describeRun() {
  const where = generator.backend === 'webgpu' ? 'WebGPU' :
    `WebAssembly, ${generator.threads} thread${generator.threads === 1 ? '' : 's'}`;
  // form: what `ganzoo zoo site` did to the entry's file for the browser (a dropped file runs as it is)
  $('backend').textContent = `onnxruntime-web ${generator.ort.env.versions.web} on ${where}` +
    (form ? `, running the ${form} form of generator.onnx` : '');
  const notes = [];
  if (generator.fallback) notes.push(`${generator.fallback}: running on WebAssembly instead.`);
  if (generator.backend === 'wasm' && !self.crossOriginIsolated) {
    notes.push('One thread: the page is not cross-origin isolated (`ganzoo zoo serve` sends the headers).');
  }
  $('note').textContent = notes.join(' ');
  $('note').hidden = notes.length === 0;
}

async function open(bytes, title, formOfFile) {
  stopInterpolation();
  const next = await Generator.load(new Uint8Array(bytes));
  if (generator) await generator.session.release();
  generator = next;
  form = formOfFile;
  if (title) {
    const {generator: family, dataset, latentDim, height, width, channels} = next.info;
    $('title').textContent = title;
    $('about').textContent = `${family} generator trained on ${dataset}: latent ${latentDim}, ` +
      `images ${height}x${width}x${channels}${next.info.classes ? `, ${next.info.classes} classes` : ''}` +
      `${next.info.truncation ? ', truncation' : ''}.`;
  }
  setControls(next.info);
  describeRun();
  await showSeed();
}

async function openDropped(file) {
  try {
    if (!file.name.toLowerCase().endsWith('.onnx')) throw new NotAGenerator('expected an .onnx file made by `ganzoo export`');
    await open(await file.arrayBuffer(), `your file: ${file.name}`, null);
  } catch (error) {
    fail(error, file.name);
  }
}

function wire() {
  const redraw = () => showSeed().catch((e) => fail(e));
  $('seed').addEventListener('change', redraw);
  $('new-batch').addEventListener('click', () => { $('seed').value = (Number($('seed').value) + 1) >>> 0; redraw(); });
  $('label').addEventListener('change', redraw);
  $('psi').addEventListener('input', () => { $('psi-value').textContent = psi().toFixed(2); if (!animation) redraw(); });
  $('interpolate').addEventListener('click', () => interpolate().catch((e) => fail(e)));
  $('file').addEventListener('change', () => $('file').files[0] && openDropped($('file').files[0]));
  const zone = $('drop');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files.length) openDropped(e.dataTransfer.files[0]);
  });
  window.addEventListener('unhandledrejection', (e) => { e.preventDefault(); fail(e.reason); });
}

async function start() {
  wire();
  const entry = JSON.parse($('entry').textContent);
  if (!entry.model) return;
  try {
    const response = await fetch(entry.model);
    if (!response.ok) throw new Error(`${entry.model}: HTTP ${response.status}`);
    await open(await response.arrayBuffer(), null, entry.form);
  } catch (error) {
    fail(error, entry.model);
  }
}

// The test hook (docs/zoo-site.md): the page's own state, and a way to draw given latents.
window.ganzooPage = {
  ready: start(),
  get info() { return generator && generator.info; },
  get backend() { return generator && {backend: generator.backend, threads: generator.threads}; },
  get renders() { return renders; },  // grids drawn so far: a test waits for the next after a control changes
  get firstImageMs() { return firstImageMs; },
  // benchmarks/browser_sampling.py: milliseconds of each of `repeats` runs on a batch of n (nothing drawn)
  time: async (n, repeats) => {
    const z = latentVectors(0, n, generator.info.latentDim), chosen = labels(generator.info, n), times = [];
    for (let i = 0; i < repeats; i++) times.push((await generator.run(z, chosen, 1)).ms);
    return times;
  },
  render: (z, chosenLabels = null, truncation = 1) => render({z: Float32Array.from(z), labels: chosenLabels, psi: truncation}),
  gridPixels: () => {
    const canvas = $('images');
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    return {width: canvas.width, height: canvas.height, rgba: Array.from(data)};
  },
  error: () => ($('error').hidden ? null : $('error').textContent),
  openBytes: (bytes, name) => openDropped(new File([Uint8Array.from(bytes)], name)),
};
