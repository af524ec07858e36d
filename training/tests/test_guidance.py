"""training.guidance against the exact math: the same example as tests/guidance.test.ts (the app's guideRow)."""
import math
import os
import re

import torch

from training.guidance import CFG_SCALE, PLAUSIBILITY, Guidance, guide

COND, UNCOND = torch.tensor([2, 0, -1, -3.5, 1.5]), torch.tensor([1, 1, -2, -6, 1.5])
CUT = -math.inf


def test_without_the_cut_it_is_classifier_free_guidance():
    assert guide(COND, UNCOND, 3, 0).tolist() == [4, -2, 1, 1.5, 1.5]


def test_the_cut_drops_tokens_the_conditional_finds_implausible():
    # threshold max + ln(e^-3) = -1: token 3 goes although guidance ranks it above token 1; token 2 sits on it and stays
    assert guide(COND, UNCOND, 3, math.exp(-3)).tolist() == [4, -2, 1, CUT, 1.5]
    assert guide(COND, COND, 1, math.exp(-2.5)).tolist() == [2, 0, CUT, CUT, 1.5]  # scale 1: the cut alone
    assert Guidance(2, 1)(torch.tensor([1.0, 3, 3]), torch.zeros(3)).tolist() == [CUT, 6, 6]
    # shift-invariant: raw logits and log-probabilities cut the same tokens
    assert torch.equal(guide(COND + 7, UNCOND - 2, 3, 0.1).isinf(), guide(COND.log_softmax(-1), UNCOND.log_softmax(-1), 3, 0.1).isinf())


def test_the_defaults_are_the_apps():
    settings = open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "settings.ts")).read()
    defaults = settings[settings.index("DEFAULT_SETTINGS"):]
    assert float(re.search(r"cfgScale: ([\d.]+)", defaults).group(1)) == CFG_SCALE
    assert float(re.search(r"plausibility: ([\d.]+)", defaults).group(1)) == PLAUSIBILITY
