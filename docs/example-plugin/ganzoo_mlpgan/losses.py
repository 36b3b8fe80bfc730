"""The relativistic average GAN loss (Jolicoeur-Martineau 2018): is a real image more real than the
average fake one, and a fake one less real than the average real one?"""

from keras import ops

from ganzoo import Loss, LossContext


def _bce(label_is_real: bool, logits):
    return ops.mean(ops.softplus(-logits if label_is_real else logits))


class RelativisticAverageLoss(Loss):
    def discriminator_loss(self, ctx: LossContext):
        real_vs_fake = ctx.real_logits - ops.mean(ctx.fake_logits)
        fake_vs_real = ctx.fake_logits - ops.mean(ctx.real_logits)
        return _bce(True, real_vs_fake) + _bce(False, fake_vs_real)

    def generator_loss(self, ctx: LossContext):
        real_vs_fake = ctx.real_logits - ops.mean(ctx.fake_logits)
        fake_vs_real = ctx.fake_logits - ops.mean(ctx.real_logits)
        return _bce(True, fake_vs_real) + _bce(False, real_vs_fake)


RAGAN = RelativisticAverageLoss()
