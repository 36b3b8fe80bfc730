// The page's latent vectors: standard normal float32 from a seed, the same in every browser. They are the
// page's own: `ganzoo-sample --seed N` (numpy's generator) draws other vectors for the same N.

// sfc32, seeded through splitmix32: a small generator with a 128-bit state.
function splitmix32(seed) {
  return () => {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function sfc32(seed) {
  const init = splitmix32(seed >>> 0);
  let a = init(), b = init(), c = init(), d = init();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return ((t >>> 0) + 0.5) / 4294967296;  // in (0, 1), never 0: log() below stays finite
  };
}

// n vectors of size dim, row after row, by Box-Muller.
export function latentVectors(seed, n, dim) {
  const uniform = sfc32(seed), out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform())), angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

// Spherical interpolation between two batches of vectors, row by row (as ganzoo-sample's GIFs do).
export function slerp(a, b, t, dim) {
  const out = new Float32Array(a.length);
  for (let row = 0; row < a.length; row += dim) {
    let dot = 0, na = 0, nb = 0;
    for (let i = row; i < row + dim; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))));
    const s = Math.sin(omega);
    const [wa, wb] = s < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / s, Math.sin(t * omega) / s];
    for (let i = row; i < row + dim; i++) out[i] = wa * a[i] + wb * b[i];
  }
  return out;
}
