"""Classifier-free guidance with a plausibility cut: the one formula every stage and the app (workers/decoding/
logitsProcessing.ts `guideRow`, the `cfg` kernel in shaders/guidance.wgsl) turn cond and uncond logits into the logits
tokens are drawn from.

    guided = uncond + scale * (cond - uncond), except tokens with cond < max(cond) + ln(plausibility): -inf

Why the cut: guidance multiplies the log-ratio cond/uncond by `scale`, and in the tail of a small model's distributions
that ratio is noise. Before the first image token of "red apple, fluent" the (stop-18) target gives the white background
token 0.88 conditionally and 0.90 unconditionally, so guidance at 3 drops it to 0.04, while a token the conditional
gives 1e-3 and the unconditional 1e-5 rises to the top: most samples started in the wrong place. Keeping only the tokens
the conditional finds at least `plausibility` times as likely as its favourite (the adaptive plausibility constraint of
contrastive decoding, Li et al. 2023) stops that. It is shift-invariant, so raw logits do. With scale 1 (no unconditional
sequence) pass uncond = cond: the cut alone, i.e. min-p sampling.
"""
import math
from dataclasses import dataclass

import torch

CFG_SCALE = 3.0
PLAUSIBILITY = 0.02  # the app's default (src/settings.ts); 0 turns the cut off


def guide(cond: torch.Tensor, uncond: torch.Tensor, scale: float = CFG_SCALE, plausibility: float = PLAUSIBILITY) -> torch.Tensor:
    guided = uncond + scale * (cond - uncond)
    if plausibility > 0:
        guided = guided.masked_fill(cond < cond.amax(-1, keepdim=True) + math.log(plausibility), -math.inf)
    return guided


@dataclass(frozen=True)
class Guidance:
    """A guidance setting as one value (the app's GenerateSettings cfgScale and plausibility): g(cond, uncond)."""
    scale: float = CFG_SCALE
    plausibility: float = PLAUSIBILITY

    def __call__(self, cond: torch.Tensor, uncond: torch.Tensor) -> torch.Tensor:
        return guide(cond, uncond, self.scale, self.plausibility)
