"""The tutorial's GAN losses on logits: non-saturating (default) and the original minimax.

Binary cross-entropy on logits: BCE(1, x) = softplus(-x), BCE(0, x) = softplus(x).
"""

from __future__ import annotations

from keras import ops

from ganzoo.interfaces import Loss, LossContext


def _discriminator_bce(ctx: LossContext):
    return ops.mean(ops.softplus(-ctx.real_logits)) + ops.mean(ops.softplus(ctx.fake_logits))


class NonSaturatingLoss(Loss):
    """Generator maximises log D(G(z)) (the tutorial's loss)."""

    def discriminator_loss(self, ctx: LossContext):
        return _discriminator_bce(ctx)

    def generator_loss(self, ctx: LossContext):
        return ops.mean(ops.softplus(-ctx.fake_logits))


class MinimaxLoss(Loss):
    """Generator minimises log(1 - D(G(z))), Goodfellow et al.'s original form."""

    def discriminator_loss(self, ctx: LossContext):
        return _discriminator_bce(ctx)

    def generator_loss(self, ctx: LossContext):
        return -ops.mean(ops.softplus(ctx.fake_logits))


NON_SATURATING = NonSaturatingLoss()
MINIMAX = MinimaxLoss()
