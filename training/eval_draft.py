"""Hawk draft vs 1D ablation, side by side: python -m training.eval_draft [--n-val 128] [--n-greedy 32] [--n-sampled 96] [--cfg 3]
[--plausibility 0.02]

1. Teacher-forced on validation images (canonical captions): per-head top-1 agreement, draft argmax vs target argmax of the
   cond distribution and of the guided one (training.guidance: uncond + cfg * (cond - uncond) with the plausibility cut,
   for target and draft alike), and the mean accepted length for greedy chain drafting with horizontal heads 1..n: at
   each position t, how many of heads 1..n match the target's argmax at t+1..t+n consecutively (past the grid end
   counts as a miss).
2. Exact greedy chain decoding, simulated: the target decodes val captions greedily with CFG (KV cache); on those sequences
   the target's guided argmax IS the next token, so "heads 1..m match" is exactly what verification would accept. Walking
   the sequence (draft at T, accept m, take the target's bonus token, go to T+m+1) gives target forwards per image and
   tokens per forward.
3. Lossless chains at temperature 1 on fresh target samples (what the app decodes by default): the target samples
   --n-sampled val captions at T 1 with CFG. Per head the acceptance probability of one drafted token,
   alpha_k(t) = sum_v min(p, q) of the guided target p at t + k and the guided draft q of head k at t. And the chains
   themselves, run exactly as the engine verifies them from each position t of those images: heads 1..n each draw one
   token d_k from q_k, the target (KV cache of the image up to t) gives its guided p_k after the DRAFTED tokens
   d_1..d_{k-1}, and 1 + sum_{k<=n} prod_{j<=k} min(1, p_j(d_j) / q_j(d_j)) is the expected number of tokens that
   target forward yields (accepted ones plus the correction or bonus token), given the draws. Averaged over the
   positions: tokens per target forward. Every draft is scored on the same images with the same uniforms for its
   draws, so the comparison is paired (the browser benchmark draws one image per config and needs many more of them to
   rank drafts a few per cent apart); the per-image difference gives its standard error.
--decode learnt: parts 2-3 decode captions of the images the target learnt (its --labels), what the app asks users to
draw, instead of validation captions; the drafts distilled on other samples of these captions (training.generate).
Writes training/out/draft_metrics.json (draft_metrics_learnt.json) and prints the tables. Computed in fp32 from the exported f16 weights when present
(what the browser runs), else from the checkpoints.
"""
import argparse
import json
import os
import random

import torch

import torch.nn.functional as F

from training.draft import Draft, DraftArgs, target_features
from training.guidance import CFG_SCALE, PLAUSIBILITY, Guidance
from training.sample import generate
from training.tokenize import load_tokens
from training.train_draft import OUT, PUBLIC, ckpt_path, load_draft_f16, load_target, target_training_items, tiny_setup
from training.text import caption


@torch.no_grad()
def draft_argmax(draft, target, pc, pu, hc, hu, toks, g):
    """Draft argmax per head: cond and guided, (B, N, K) each; -1 where t + k is past the grid end."""
    gc, gu = draft.features(target, pc, hc, toks), draft.features(target, pu, hu, toks)
    N = toks.shape[1]
    cond = torch.full((*toks.shape, len(draft.args.offsets)), -1, dtype=torch.long)
    guided = cond.clone()
    for i, k in enumerate(draft.args.offsets):
        lc, lu = draft.head_logits(target, gc, k, toks, torch.arange(N - k)), draft.head_logits(target, gu, k, toks, torch.arange(N - k))
        cond[:, :N - k, i], guided[:, :N - k, i] = lc.argmax(-1), g(lc, lu).argmax(-1)
    return cond, guided


def shifted(ref, offsets):
    """ref (B, N) target argmax per row -> (B, N, K): the token each head at position t should hit (t + k), -2 past the end."""
    B, N = ref.shape
    out = torch.full((B, N, len(offsets)), -2, dtype=torch.long)
    for i, k in enumerate(offsets):
        out[:, :N - k, i] = ref[:, k:]
    return out


def accepted_lengths(match, offsets, n_max=8):
    """match (B, N, K) bool -> mean consecutive matches of horizontal heads 1..n over positions 0..N-2, for n = 1..n_max."""
    horiz = [offsets.index(k) for k in range(1, n_max + 1) if k in offsets]
    run = torch.cumprod(match[:, :-1, horiz].long(), dim=-1)  # run[..., j] = 1 iff heads 1..j+1 all match
    return [round(run[..., :n].sum(-1).float().mean().item(), 4) for n in range(1, len(horiz) + 1)]


def chain_steps(match_row, n):
    """Greedy chain decoding on one sequence: match_row (N, K_h) bool for horizontal heads -> target forwards after prefill."""
    N = match_row.shape[0]
    pos, steps = 0, 0
    while pos < N - 1:
        m = 0
        while m < n and pos + m + 1 <= N - 1 and match_row[pos, m]:
            m += 1
        pos, steps = pos + m + 1, steps + 1
    return steps


@torch.no_grad()
def decode(text, target, tok, captions, g, temperature, seed=0, bs=16):
    """The target's own images for captions, bs at a time (sample.generate: KV cache, CFG; temperature 0 is greedy)
    -> tokens (n, 256); the target is left ready for full-sequence passes (target_features)."""
    seqs = torch.cat([generate(text, target, tok.batch(captions[i:i + bs]), len(captions[i:i + bs]), g, temperature, seed=seed + i)
                      for i in range(0, len(captions), bs)])
    target.drop_caches()
    return seqs


@torch.no_grad()
def guided_heads(draft, target, prefixes, hidden, toks, ks, pos, g):
    """The draft's guided distributions q (B, S, K, vocab) of heads ks at positions pos (S,) of sequences toks (B, N),
    from the (cond, uncond) prefixes and the target's hidden states."""
    (pc, pu), (hc, hu) = prefixes, hidden
    gc, gu = draft.features(target, pc, hc, toks), draft.features(target, pu, hu, toks)
    qs = []
    for k in ks:
        lc, lu = draft.head_logits(target, gc, k, toks, pos), draft.head_logits(target, gu, k, toks, pos)
        qs.append(F.softmax(g(lc, lu), -1))
    return torch.stack(qs, 2)


def acceptance(q, p, ks, pos):
    """q (B, S, K, vocab) heads ks at positions pos, p (B, N, vocab) the guided target along the sequences ->
    alpha (B, S, K) = sum_v min(p[t + k], q_k[t]), and whether the two argmaxes agree (B, S, K) bool."""
    pk = torch.stack([p[:, pos + k] for k in ks], 2)
    return torch.minimum(pk, q).sum(-1), q.argmax(-1) == pk.argmax(-1)


def draw(q, u):
    """One token per distribution q (..., vocab) by inverse CDF of uniforms u (...) in [0, 1): never a token of zero mass."""
    cdf = q.cumsum(-1)
    return torch.searchsorted(cdf, (u * cdf[..., -1])[..., None], right=True)[..., 0].clamp(max=q.shape[-1] - 1)


@torch.no_grad()
def chain_tokens(target, prefixes, toks, p, qs, pos, g, u):
    """Lossless chains of heads 1..n started after token t, for t in pos (part 3 of the module docstring), for each draft:
    qs its guided heads (B, S, n, vocab) each, u (B, S, n) the uniforms of their draws, p (B, N, vocab) the guided target
    along toks -> per draft, expected tokens per target forward given the draws, (B, S, n): entry m - 1 for the chain
    of heads 1..m. The image's KV cache is filled once for all drafts."""
    B, S, n, _ = qs[0].shape
    P = target.args.prefix_len
    target.setup_caches(2 * B)
    target(torch.cat(prefixes), toks[:, :-1].repeat(2, 1))  # the image's own keys and values, cond rows then uncond
    image_kv = [(layer.attn.kv_cache.k.clone(), layer.attn.kv_cache.v.clone()) for layer in target.layers]

    def ratios(t, q, d):
        """min(1, p_j(d_j) / q_j(d_j)) of the tokens d (B, n) drafted after token t from heads q (B, n, vocab)."""
        p_chain = p[:, t + 1:t + 2]  # the first drafted token is judged after the image's tokens 0..t
        if n > 1:  # the others after the drafted ones before them: one verification pass, as in the engine
            logits = target(None, d[:, :-1].repeat(2, 1), start=P + t + 1)
            p_chain = torch.cat([p_chain, F.softmax(g(logits[:B], logits[B:]), -1)], 1)
            for layer, (k, v) in zip(target.layers, image_kv):  # the image's tokens back for the next chain
                c, span = layer.attn.kv_cache, slice(P + t + 1, P + t + n)
                c.k[:, :, span], c.v[:, :, span] = k[:, :, span], v[:, :, span]
        pick = lambda dist: dist.gather(-1, d[..., None])[..., 0]
        return (pick(p_chain) / pick(q)).clamp(max=1)

    out = []
    for q in qs:
        drafted = draw(q, u)
        ratio = torch.stack([ratios(t, q[:, s], drafted[:, s]) for s, t in enumerate(pos.tolist())], 1)
        out.append(1 + ratio.cumprod(-1).cumsum(-1))
    target.drop_caches()
    return out


@torch.no_grad()
def sampled_chains(drafts, text, target, tok, captions, g, seed=0, bs=16):
    """Part 3 of the module docstring -> {variant: dict(images, overlap, agree_guided, tokens_per_forward)}; with two
    drafts the first also gets ahead_on_images (share of images where its chains carry more) and lead (mean per-image
    difference in tokens per forward, and its standard error)."""
    seqs = decode(text, target, tok, captions, g, 1.0, seed, bs)
    grid, N = target.args.grid, seqs.shape[1]
    horiz = {v: [k for k in d.args.offsets if k < grid] for v, d in drafts.items()}
    n_max = min(map(len, horiz.values()))
    pos = torch.arange(N - n_max)  # positions where every head of the chain lands inside the grid
    overlap, agree, per_image = ({v: [] for v in drafts} for _ in range(3))
    for i in range(0, len(captions), bs):
        toks = seqs[i:i + bs]
        prefixes = text(tok.batch(captions[i:i + bs])), text.null_prefix.expand(len(toks), -1, -1)
        (hc, lc), (hu, lu) = (target_features(target, pre, toks) for pre in prefixes)
        p = F.softmax(g(lc, lu), -1)
        u = torch.rand(len(toks), len(pos), n_max, generator=torch.Generator().manual_seed(seed + i))  # shared: paired
        qs = {v: guided_heads(d, target, prefixes, (hc, hu), toks, horiz[v][:n_max], pos, g) for v, d in drafts.items()}
        for (v, q), tokens in zip(qs.items(), chain_tokens(target, prefixes, toks, p, list(qs.values()), pos, g, u)):
            alpha, hits = acceptance(q, p, horiz[v][:n_max], pos)
            overlap[v].append(alpha.mean(1))
            agree[v].append(hits.float().mean(1))
            per_image[v].append(tokens.mean(1))
    out = {}
    for v in drafts:
        ov, ag, tpf = (torch.cat(x[v]).mean(0).tolist() for x in (overlap, agree, per_image))
        out[v] = dict(images=len(captions), temperature=1.0, positions=len(pos),
                      overlap={k: round(a, 4) for k, a in zip(horiz[v], ov)},
                      agree_guided={k: round(a, 4) for k, a in zip(horiz[v], ag)},
                      tokens_per_forward={n + 1: round(a, 3) for n, a in enumerate(tpf)})
    if len(drafts) == 2:
        (first, a), (_, b) = ((v, torch.cat(per_image[v])) for v in drafts)
        diff = a - b
        out[first]["ahead_on_images"] = {n + 1: round(x, 3) for n, x in enumerate((diff > 0).float().mean(0).tolist())}
        se = diff.std(0) / len(diff) ** 0.5 if len(diff) > 1 else torch.zeros(diff.shape[1])
        out[first]["lead"] = {n + 1: [round(m, 3), round(e, 3)] for n, (m, e) in enumerate(zip(diff.mean(0).tolist(), se.tolist()))}
    return out


@torch.no_grad()
def evaluate(drafts, text, target, tok, meta, ids, val_idx, n_greedy, g, n_sampled=0, bs=16, decode_idx=None):
    """Part 1 on val_idx; parts 2-3 decode the captions of decode_idx (default val_idx)."""
    decode_idx = val_idx if decode_idx is None else decode_idx
    res = {v: dict(agree_cond=0, agree_guided=0, acc_cond=0, acc_guided=0) for v in drafts}
    null = text.null_prefix
    for i in range(0, len(val_idx), bs):
        b = val_idx[i:i + bs]
        toks = ids[b]
        pc, pu = text(tok.batch([caption(meta[j]) for j in b])), null.expand(len(b), -1, -1)
        (hc, lc), (hu, lu) = target_features(target, pc, toks), target_features(target, pu, toks)
        for v, d in drafts.items():
            offs = list(d.args.offsets)
            dc, dg = draft_argmax(d, target, pc, pu, hc, hu, toks, g)
            mc, mg = dc == shifted(lc.argmax(-1), offs), dg == shifted(g(lc, lu).argmax(-1), offs)
            valid = dc >= 0
            w = len(b) / len(val_idx)
            r = res[v]
            r["agree_cond"] = r["agree_cond"] + (mc & valid).sum((0, 1)) / valid.sum((0, 1)) * w
            r["agree_guided"] = r["agree_guided"] + (mg & valid).sum((0, 1)) / valid.sum((0, 1)) * w
            r["acc_cond"] = r["acc_cond"] + torch.tensor(accepted_lengths(mc, offs)) * w
            r["acc_guided"] = r["acc_guided"] + torch.tensor(accepted_lengths(mg, offs)) * w
    out = {}
    for v, d in drafts.items():
        offs = list(d.args.offsets)
        r = {k: [round(x, 4) for x in t.tolist()] for k, t in res[v].items()}
        out[v] = dict(offsets=offs, spatial=d.args.spatial, n_layers=d.args.n_layers,
                      agree_cond={k: a for k, a in zip(offs, r["agree_cond"])},
                      agree_guided={k: a for k, a in zip(offs, r["agree_guided"])},
                      accepted_len_teacher_forced_cond={n + 1: a for n, a in enumerate(r["acc_cond"])},
                      accepted_len_teacher_forced_guided={n + 1: a for n, a in enumerate(r["acc_guided"])})
    if n_greedy:
        items = [meta[j] for j in decode_idx[:n_greedy]]
        seqs = decode(text, target, tok, [caption(m) for m in items], g, 0.0, bs=len(items))  # one batch, as always
        pc, pu = text(tok.batch([caption(m) for m in items])), null.expand(len(items), -1, -1)
        (hc, lc), (hu, lu) = target_features(target, pc, seqs), target_features(target, pu, seqs)
        self_check = (g(lc, lu).argmax(-1) == seqs).float().mean().item()  # KV-cached vs full pass, ~1.0
        N = seqs.shape[1]
        for v, d in drafts.items():
            offs = list(d.args.offsets)
            _, dg = draft_argmax(d, target, pc, pu, hc, hu, seqs, g)
            match = dg == shifted(seqs, offs)
            horiz = [offs.index(k) for k in range(1, 9) if k in offs]
            steps = {n: sum(chain_steps(match[i][:, horiz], n) for i in range(len(items))) / len(items)
                     for n in range(1, len(horiz) + 1)}
            out[v]["greedy"] = dict(
                images=len(items), plain_ar_forwards=N - 1, teacher_forced_self_check=round(self_check, 4),
                agree_guided={k: round(a, 4) for k, a in zip(offs, (match.sum((0, 1)) / (dg >= 0).sum((0, 1))).tolist())},
                forwards_per_image={n: round(s, 2) for n, s in steps.items()},
                tokens_per_forward={n: round((N - 1) / s, 3) for n, s in steps.items()},
                mean_accepted_per_step={n: round((N - 1) / s - 1, 3) for n, s in steps.items()})
    if n_sampled:
        sampled = sampled_chains(drafts, text, target, tok, [caption(meta[j]) for j in decode_idx[:n_sampled]], g)
        for v in drafts:
            out[v]["sampled"] = sampled[v]
    return out


def cell(d, k):
    """A table cell; '-' where a variant has no such head (the ablation has no vertical heads)."""
    return f"{d[k]:14.3f}" if k in d else f"{'-':>14}"


def table(m):
    vs = list(m)
    offs = m[vs[0]]["offsets"]
    lines = ["per-head top-1 agreement with the target (teacher-forced val; cond / guided" +
             (", greedy-guided" if "greedy" in m[vs[0]] else "") + ")",
             "offset  " + "  ".join(f"{v + ' cond':>14} {v + ' guided':>14}" + (f" {v + ' greedy':>14}" if "greedy" in m[v] else "")
                                    for v in vs)]
    for k in offs:
        lines.append(f"{('+' + str(k)):>6}  " + "  ".join(
            f"{cell(m[v]['agree_cond'], k)} {cell(m[v]['agree_guided'], k)}" +
            (f" {cell(m[v]['greedy']['agree_guided'], k)}" if "greedy" in m[v] else "") for v in vs))
    lines += ["", "greedy chain drafting with horizontal heads 1..n: mean accepted (teacher-forced guided)" +
              ("; tokens per target forward (exact greedy simulation)" if "greedy" in m[vs[0]] else ""),
              "n  " + "  ".join(f"{v + ' acc':>14}" + (f" {v + ' tok/fwd':>14}" if "greedy" in m[v] else "") for v in vs)]
    for n in m[vs[0]]["accepted_len_teacher_forced_guided"]:
        lines.append(f"{n:<2} " + "  ".join(
            cell(m[v]['accepted_len_teacher_forced_guided'], n) +
            (f" {cell(m[v]['greedy']['tokens_per_forward'], n)}" if "greedy" in m[v] else "") for v in vs))
    if "sampled" in m[vs[0]]:
        s = {v: m[v]["sampled"] for v in vs}
        ahead, lead = s[vs[0]].get("ahead_on_images", {}), s[vs[0]].get("lead", {})
        lines += ["", f"lossless chains at temperature 1 on {s[vs[0]]['images']} fresh target samples: acceptance of head n "
                  f"(sum min(p, q)), tokens per target forward of chains of n (run as the engine verifies)" +
                  (f", share of images where {vs[0]} carries more, its lead per image +- standard error" if ahead else ""),
                  "n  " + "  ".join(f"{v + ' accept':>14} {v + ' tok/fwd':>14}" for v in vs) +
                  (f" {'ahead':>8} {'lead':>15}" if ahead else "")]
        for n in s[vs[0]]["tokens_per_forward"]:
            lines.append(f"{n:<2} " + "  ".join(f"{cell(s[v]['overlap'], n)} {cell(s[v]['tokens_per_forward'], n)}" for v in vs) +
                         (f" {ahead[n]:8.3f} {lead[n][0]:+7.3f} +- {lead[n][1]:.3f}" if ahead else ""))
    return "\n".join(lines)


def load_drafts(variants, tiny=False):
    drafts = {}
    for v in variants:
        f16 = os.path.join(PUBLIC, f"draft_{v}.safetensors")
        ckpt = ckpt_path(v)  # the exported weights, unless a checkpoint was trained after the export
        if not tiny and os.path.exists(f16) and (not os.path.exists(ckpt) or os.path.getmtime(f16) >= os.path.getmtime(ckpt)):
            drafts[v] = load_draft_f16(f16)[0].eval()
            print(f"{v}: exported f16 weights {f16}")
        elif os.path.exists(ckpt_path(v, tiny)):
            ck = torch.load(ckpt_path(v, tiny), map_location="cpu")  # trained on CUDA perhaps
            d = Draft(DraftArgs(**{**ck["args"], "offsets": tuple(ck["args"]["offsets"])}))
            d.load_state_dict(ck["draft"])
            drafts[v] = d.eval()
            print(f"{v}: checkpoint {ckpt_path(v, tiny)} step {ck['step']} (target step {ck.get('target_step')})")
    return drafts


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-val", type=int, default=128)
    ap.add_argument("--n-greedy", type=int, default=32)
    ap.add_argument("--n-sampled", type=int, default=96, help="fresh T 1 target samples for part 3 (0: skip)")
    ap.add_argument("--cfg", type=float, default=CFG_SCALE)
    ap.add_argument("--plausibility", type=float, default=PLAUSIBILITY, help="guidance's plausibility cut (training.guidance)")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--target", default=os.path.join(OUT, "target.pt"), help="target checkpoint or shipped model directory")
    ap.add_argument("--decode", default="val", choices=["val", "learnt"], help="captions parts 2-3 decode: validation "
                    "ones, or those of the images the target learnt (what the app asks users for; the drafts distilled "
                    "on other samples of them); writes draft_metrics_learnt.json")
    a = ap.parse_args()
    if a.tiny and a.decode == "learnt":
        ap.error("--decode learnt needs the real target and data, not --tiny")
    torch.set_num_threads(2)
    if a.tiny:
        text, target, tok, meta, ids = tiny_setup()
        target_step = None
    else:
        text, target, tok, target_step = load_target(a.target)
        meta, ids, _ = load_tokens()
    drafts = load_drafts(["hawk", "ablation"], a.tiny)
    val_idx = [i for i, m in enumerate(meta) if m["split"] == "val"]
    val_idx = random.Random(2).sample(val_idx, min(a.n_val, len(val_idx)))
    decode_idx = None
    if a.decode == "learnt":
        learnt = target_training_items(a.target, meta)
        decode_idx = random.Random(2).sample(learnt, min(max(a.n_greedy, a.n_sampled), len(learnt)))
    metrics = evaluate(drafts, text, target, tok, meta, ids, val_idx, a.n_greedy, Guidance(a.cfg, a.plausibility), a.n_sampled,
                       decode_idx=decode_idx)
    metrics = dict(cfg=a.cfg, plausibility=a.plausibility, n_val=len(val_idx), decoded=a.decode, target_step=target_step,
                   variants=metrics)
    print(table(metrics["variants"]))
    path = os.path.join(OUT, f"draft_metrics{'_learnt' if a.decode == 'learnt' else ''}{'_tiny' if a.tiny else ''}.json")
    json.dump(metrics, open(path, "w"), indent=1)
    print("wrote", path)
