"""The metrics themselves, on feature vectors and class probabilities (numpy only)."""

from __future__ import annotations

import numpy as np

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
NEIGHBOURS = 3  # k of the k-nearest-neighbour manifolds (Kynkäänniemi et al. 2019)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets ``a`` and ``b`` (FID's formula).

    tr(sqrt(S_a S_b)) is computed as the sum of square roots of the eigenvalues
    of sqrt(S_a) S_b sqrt(S_a), a symmetric matrix, which stays real and stable.
    """
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _psd_sqrt(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sum(np.sqrt(np.clip(cross, 0, None)))
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def kernel_inception_distance(a: np.ndarray, b: np.ndarray, rng: np.random.Generator,
                              subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE) -> tuple[float, float]:
    """Unbiased squared MMD with the cubic polynomial kernel (x·y/d + 1)^3, averaged over random subsets.

    Returns (mean, standard deviation over subsets). The subsets overlap, so
    the spread of one subset's estimate is the honest error bar (as reported
    by torch-fidelity and clean-fid); std / sqrt(subsets) would understate it.
    """
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise ValueError("KID needs at least 2 samples on each side")
    picks = [(rng.choice(len(a), m, replace=False), rng.choice(len(b), m, replace=False)) for _ in range(subsets)]
    # per subset, three m x m kernels; or once, the whole kernels, each subset's sums read off them: the
    # cheaper of the two (the floor's two halves of 5,000 reference images: 9 times fewer operations)
    by_subset = subsets * 3 * m * m
    whole = (len(a) ** 2 + len(b) ** 2 + len(a) * len(b)) * (1 + subsets / a.shape[1])
    estimates = _kid_by_subset(a, b, picks) if by_subset <= whole else _kid_from_whole_kernels(a, b, picks)
    return float(estimates.mean()), float(estimates.std(ddof=1)) if subsets > 1 else 0.0


def _mmd(k_xx_sum, k_xx_trace, k_yy_sum, k_yy_trace, k_xy_sum, m: int):
    """The unbiased squared MMD of two subsets of m samples, from their kernels' sums and traces."""
    return ((k_xx_sum - k_xx_trace) / (m * (m - 1)) + (k_yy_sum - k_yy_trace) / (m * (m - 1))
            - 2 * k_xy_sum / (m * m))


def _kid_by_subset(a: np.ndarray, b: np.ndarray, picks) -> np.ndarray:
    d, estimates = a.shape[1], []
    for x_rows, y_rows in picks:
        x, y = a[x_rows], b[y_rows]
        k_xx, k_yy, k_xy = _cubic_kernel(x, x, d), _cubic_kernel(y, y, d), _cubic_kernel(x, y, d)
        estimates.append(_mmd(k_xx.sum(), np.trace(k_xx), k_yy.sum(), np.trace(k_yy), k_xy.sum(), len(x_rows)))
    return np.asarray(estimates)


def _kid_from_whole_kernels(a: np.ndarray, b: np.ndarray, picks) -> np.ndarray:
    """The same estimates as _kid_by_subset: a subset's kernel sum is w_x K w_y for its 0/1 membership vectors."""
    d, m = a.shape[1], len(picks[0][0])
    w_a, w_b = np.zeros((len(picks), len(a))), np.zeros((len(picks), len(b)))
    for s, (x_rows, y_rows) in enumerate(picks):
        w_a[s, x_rows], w_b[s, y_rows] = 1, 1
    diagonal = [w @ ((np.einsum("ij,ij->i", v, v) / d + 1) ** 3) for w, v in ((w_a, a), (w_b, b))]
    return _mmd(_subset_sums(a, a, w_a, w_a, d), diagonal[0], _subset_sums(b, b, w_b, w_b, d), diagonal[1],
                _subset_sums(a, b, w_a, w_b, d), m)


def _subset_sums(x: np.ndarray, y: np.ndarray, w_x: np.ndarray, w_y: np.ndarray, d: int,
                 block: int = 1000) -> np.ndarray:
    """For every subset s, sum_ij w_x[s, i] k(x_i, y_j) w_y[s, j], the kernel built a block of rows at a time."""
    sums = np.zeros(len(w_x))
    for i in range(0, len(x), block):
        sums += np.einsum("sb,bs->s", w_x[:, i:i + block], _cubic_kernel(x[i:i + block], y, d) @ w_y.T)
    return sums


def _cubic_kernel(x: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    """(x·y/d + 1)^3, in place: three times faster than ``** 3``, which goes through pow()."""
    k = x @ y.T
    k /= d
    k += 1
    return k * k * k


def classifier_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the Inception Score's formula with the MNIST classifier (at most 10)."""
    p = np.clip(probabilities, 1e-12, 1)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = NEIGHBOURS,
                     real_radii: np.ndarray | None = None) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019): the share of fake samples inside the real
    k-NN manifold, and of real samples inside the fake one. ``real_radii``: the real set's, if known (knn_radii)."""
    return _inside(fake, real, k, real_radii), _inside(real, fake, k)


def _inside(points: np.ndarray, manifold: np.ndarray, k: int, radii: np.ndarray | None = None,
            block: int = 1000) -> float:
    """Share of ``points`` within the k-NN radius of some ``manifold`` point (in blocks, to bound memory)."""
    radii = _radii(manifold, k, block) if radii is None else radii
    inside = [(_distances(points[i:i + block], manifold) <= radii[None, :]).any(axis=1)
              for i in range(0, len(points), block)]
    return float(np.mean(np.concatenate(inside)))


def _radii(points: np.ndarray, k: int, block: int = 1000) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour among ``points``."""
    return knn_radii(points, (k,), block)[k]


def knn_radii(points: np.ndarray, ks, block: int = 1000) -> dict[int, np.ndarray]:
    """Each point's distance to its k-th nearest neighbour among ``points``, for every k of ``ks``, from one pass
    over the distances (precision/recall and density/coverage need the real set's at two k)."""
    ks = sorted(set(ks))
    # the (k+1)-th smallest distance (the smallest is the point itself); a partition finds it without a full sort
    radii = np.concatenate([np.partition(_distances(points[i:i + block], points), ks, axis=1)[:, ks]
                            for i in range(0, len(points), block)])
    return {k: radii[:, j] for j, k in enumerate(ks)}


DC_NEIGHBOURS = 5  # k of density and coverage (Naeem et al. 2020)


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = DC_NEIGHBOURS, block: int = 1000,
                     real_radii: np.ndarray | None = None) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"),
    from the k-NN balls around the real samples: density counts, per fake sample, the balls it falls in, over k
    (about 1 when the two sets come from one distribution, above 1 where fakes crowd the dense regions); coverage
    is the share of real samples whose ball holds at least one fake sample, which mode collapse drives towards
    0 where recall, measured on the fakes' own manifold, can miss it. ``real_radii``: the real set's, if known."""
    radii = _radii(real, k, block) if real_radii is None else real_radii
    balls_entered, covered = 0, np.zeros(len(real), bool)
    for i in range(0, len(fake), block):
        inside = _distances(fake[i:i + block], real) <= radii[None, :]
        balls_entered += int(inside.sum())
        covered |= inside.any(axis=0)
    return balls_entered / (k * len(fake)), float(covered.mean())


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0, None))


def class_coverage(probabilities: np.ndarray, classes: int = 10) -> list[float]:
    """Share of samples per predicted class."""
    counts = np.bincount(probabilities.argmax(axis=1), minlength=classes)
    return [float(c) for c in counts / counts.sum()]


def label_agreement(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of samples the classifier assigns to the class they were made (or labelled) as: whether a
    conditional generator's label steers it. The classifier's own accuracy on real MNIST bounds it (98.2 %)."""
    return float(np.mean(probabilities.argmax(axis=1) == labels))


COVERED_SHARE = 0.05  # half a class's fair share of ten: a class below it is as good as missing


def classes_covered(coverage: list[float]) -> int:
    """How many classes get at least COVERED_SHARE of the samples."""
    return sum(share >= COVERED_SHARE for share in coverage)
