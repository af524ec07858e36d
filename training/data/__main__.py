"""Build the captioned emoji set: python -m training.data [--tabler]

Sources (see training/README.md for licences): fluentui-emoji flat SVGs (MIT), @twemoji/svg (CC-BY-4.0),
Noto Color Emoji bitmaps from Debian fonts-noto-color-emoji (Apache-2.0), captions from emojibase-data (MIT).
--tabler appends Tabler line and filled icons (@tabler/icons, MIT), each drawn in one colour named in its caption
("red apple, line icon, fruit, food"): more concepts and colour words for a target that runs out of data (the GPU run
in training/README.md). --more-emoji appends four more emoji designs from Iconify's packages (@iconify-json/emojione
CC-BY-4.0, noto-v1 Apache-2.0, fxemoji Apache-2.0, streamline-emojis CC-BY-4.0), one image per concept each, no skin
tones: ~3,100 more images of the non-people concepts, which have only ~3 each. Both off by default: the shipped models
were trained on the first three sources alone, and appending keeps every emoji at its index.
Output in training/out/data/: images.npy (N,64,64,3) uint8 on white, meta.json (caption parts, split per item).
"""
import argparse
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import tempfile

import numpy as np
from PIL import Image

from training.text import words

HERE = os.path.dirname(os.path.abspath(__file__))
NM = os.path.join(HERE, "node_modules")
OUT = os.path.join(HERE, "..", "out", "data")
NOTO = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
SIZE = 64
TONES = {"light": 1, "medium-light": 2, "medium": 3, "medium-dark": 4, "dark": 5}
TONE_WORDS = {1: "light skin tone", 2: "medium-light skin tone", 3: "medium skin tone", 4: "medium-dark skin tone", 5: "dark skin tone"}
# Icon colours: saturated enough to read as their word on white after the VQ (yellow darkened for contrast).
ICON_COLOURS = {"red": "#e03131", "orange": "#f76707", "yellow": "#f59f00", "green": "#2f9e44", "blue": "#1971c2",
                "purple": "#7048e8", "pink": "#d6336c", "brown": "#8d5524", "black": "#212529", "grey": "#868e96"}
ICON_STYLES = {"outline": "line icon", "filled": "filled icon"}
# More emoji designs (--more-emoji), from Iconify's packaged sets: package -> style word. The words are ones the shipped
# vocabulary already holds, so the text encoder's word table stays as it is and the shipped weights can go on training.
ICONIFY_STYLES = {"emojione": "glossy", "noto-v1": "android", "fxemoji": "vintage", "streamline-emojis": "cartoon"}


def norm_hex(h):
    # Twemoji and Noto drop the FE0F variation selector in file/glyph names; compare without it.
    return "-".join(p for p in h.upper().split("-") if p != "FE0F")


def slug(label):
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def concepts_by_slug(eb):
    """The base emoji (no skin tone) by their label's slug ("red-apple"), the way Fluent and Iconify name their files."""
    return {slug(v["label"]): v for k, v in eb.items() if v["concept"] == k}


def split_of(concept):
    # Split by concept (base emoji), so skin tones and other styles of a test emoji never appear in train.
    b = int(hashlib.sha1(concept.encode()).hexdigest(), 16) % 100
    return "train" if b < 90 else "val" if b < 95 else "test"


def load_emojibase():
    """hexcode (normalised) -> dict(label, tags, concept, group)."""
    table = {}
    for e in json.load(open(os.path.join(NM, "emojibase-data/en/data.json"))):
        if "group" not in e or e["group"] == 2:  # skip ungrouped (regional letters) and skin-tone swatches
            continue
        base = dict(label=e["label"], tags=e.get("tags", []), concept=norm_hex(e["hexcode"]), group=e["group"])
        table[norm_hex(e["hexcode"])] = base
        for s in e.get("skins", []):
            table[norm_hex(s["hexcode"])] = dict(base, label=s["label"])
    return table


def fluent_items(eb):
    by_slug = concepts_by_slug(eb)
    items = []
    for p in sorted(glob.glob(os.path.join(NM, "fluentui-emoji/icons/flat/*.svg"))):
        name = os.path.basename(p)[:-4]
        tone = None
        for suffix in sorted(list(TONES) + ["default"], key=len, reverse=True):
            if name.endswith("-" + suffix) and name[: -len(suffix) - 1] in by_slug:
                name, tone = name[: -len(suffix) - 1], TONES.get(suffix)
                break
        e = by_slug.get(name)
        if e is None:
            continue
        label = e["label"] + (": " + TONE_WORDS[tone] if tone else "")
        items.append(dict(e, label=label, style="fluent", src=p))
    return items


def twemoji_items(eb):
    items = []
    for p in sorted(glob.glob(os.path.join(NM, "@twemoji/svg/*.svg"))):
        e = eb.get(norm_hex(os.path.basename(p)[:-4]))
        if e is not None:
            items.append(dict(e, style="twemoji", src=p))
    return items


def tabler_items(icons):
    """icons = @tabler/icons' icons.json {name: {category, tags, styles}} -> one item per icon and style it has, brand
    logos left out (trademarks). Each takes a colour fixed by its name and style, named first in its label; the outline
    and filled drawings of an icon are one concept, so they share a split."""
    items = []
    for name, icon in sorted(icons.items()):
        if icon["category"] == "Brand":
            continue
        label = name.replace("-", " ")
        tags = [str(t) for t in icon["tags"] if not set(words(str(t))) <= set(words(label))]  # a few tags are numbers
        for style, style_word in ICON_STYLES.items():
            if style not in icon["styles"]:
                continue
            colour = list(ICON_COLOURS)[int(hashlib.sha1(f"{name}/{style}".encode()).hexdigest(), 16) % len(ICON_COLOURS)]
            items.append(dict(label=f"{colour} {label}", tags=tags, concept="tabler:" + name, group=icon["category"],
                              style=style_word, colour=colour,
                              src=os.path.join(NM, "@tabler", "icons", "icons", style, name + ".svg")))
    return items


def iconify_items(eb, package, s):
    """s = an Iconify emoji set (@iconify-json/<package>'s icons.json: icons named by the CLDR label's slug, fxemoji's
    without hyphens) -> one item per icon whose name is an emojibase label, its SVG text in `svg`. Skin-tone variants
    are left out: the people are already 54 % of the images, these sets are for the other concepts."""
    by_key = {k.replace("-", ""): v for k, v in concepts_by_slug(eb).items()}  # matches fxemoji's names and the rest
    items = []
    for name, icon in sorted(s["icons"].items()):
        e = by_key.get(name.replace("-", ""))
        if e is None:
            continue
        box = [icon.get("left", 0), icon.get("top", 0), icon.get("width", s.get("width", 16)), icon.get("height", s.get("height", 16))]
        svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{" ".join(map(str, box))}">{icon["body"]}</svg>'
        items.append(dict(e, style=ICONIFY_STYLES[package], src=f"@iconify-json/{package}:{name}", svg=svg))
    return items


def rasterize_svgs(paths, colours=None):
    """SVG files (or SVG text: an entry starting with '<') -> ((n, SIZE, SIZE, 3) uint8 on white, indices of the n
    entries drawn); colours[i] (hex) replaces currentColor in file i where given. An SVG that makes resvg abort (a few
    of Iconify's, through a panic in its geometry code) is left out and the rest drawn by a new process."""
    entries = [dict(svg=p) if p.startswith("<") else dict(path=p, color=c) if c else p
               for p, c in zip(paths, colours or [None] * len(paths))]
    images, kept, start = [], [], 0
    with tempfile.TemporaryDirectory() as d:
        while start < len(entries):
            json.dump(entries[start:], open(os.path.join(d, "l.json"), "w"))
            done = subprocess.run(["node", os.path.join(HERE, "rasterize.mjs"), os.path.join(d, "l.json"),
                                   os.path.join(d, "o.bin"), str(SIZE)], cwd=HERE, stderr=subprocess.DEVNULL)
            drawn = np.fromfile(os.path.join(d, "o.bin"), np.uint8).reshape(-1, SIZE, SIZE, 3)
            images.append(drawn)
            kept += range(start, start + len(drawn))
            if done.returncode == 0:
                break
            print(f"resvg aborted on entry {start + len(drawn)} of {len(entries)}: left out")
            start += len(drawn) + 1
    return np.concatenate(images), kept


def noto_items(eb):
    """Noto CBDT strike: one PNG per glyph. Single emoji come from cmap, sequences (ZWJ, flags, tones) from
    the GSUB ligature lookups that turn a glyph run into one emoji glyph."""
    if not os.path.exists(NOTO):
        print("no", NOTO, "- skipping noto (apt-get install fonts-noto-color-emoji)")
        return [], np.zeros((0, SIZE, SIZE, 3), np.uint8)
    from fontTools.ttLib import TTFont
    font = TTFont(NOTO)
    codes = {g: [c] for c, g in font.getBestCmap().items()}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for st in lookup.SubTable:
            st = st.ExtSubTable if lookup.LookupType == 7 else st
            for first, ligs in getattr(st, "ligatures", {}).items():
                for lig in ligs:
                    codes.setdefault(lig.LigGlyph, sum((codes.get(g, [0]) for g in [first, *lig.Component]), []))
    strike = font["CBDT"].strikeData[0]
    items, imgs = [], []
    for name in sorted(strike):
        e = eb.get(norm_hex("-".join(f"{c:X}" for c in codes.get(name, []))))
        if e is None:
            continue
        g = strike[name]
        g.ensureDecompiled()
        im = Image.open(io.BytesIO(g.imageData)).convert("RGBA")
        sq = Image.new("RGBA", (max(im.size),) * 2, (255, 255, 255, 255))  # 136x128 -> square, centred
        sq.alpha_composite(im, ((sq.width - im.width) // 2, (sq.height - im.height) // 2))
        imgs.append(np.asarray(sq.convert("RGB").resize((SIZE, SIZE), Image.LANCZOS)))
        items.append(dict(e, style="noto", src=name))
    return items, np.stack(imgs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--more-emoji", action="store_true", help="append the Iconify emoji sets (module docstring)")
    ap.add_argument("--tabler", action="store_true", help="append the Tabler icons in colour (module docstring)")
    a = ap.parse_args()
    eb = load_emojibase()
    svg_items = fluent_items(eb) + twemoji_items(eb)
    svg_imgs, kept = rasterize_svgs([it["src"] for it in svg_items])
    assert len(kept) == len(svg_items), "an emoji SVG failed to draw"  # appending keeps every emoji at its index
    n_items, n_imgs = noto_items(eb)
    items, imgs = svg_items + n_items, [svg_imgs, n_imgs]
    if a.more_emoji:
        more = sum((iconify_items(eb, package, json.load(open(os.path.join(NM, "@iconify-json", package, "icons.json"))))
                    for package in ICONIFY_STYLES), [])
        more_imgs, kept = rasterize_svgs([it.pop("svg") for it in more])
        items += [more[i] for i in kept]
        imgs.append(more_imgs)
    if a.tabler:
        icons = tabler_items(json.load(open(os.path.join(NM, "@tabler", "icons", "icons.json"))))
        icon_imgs, kept = rasterize_svgs([it["src"] for it in icons], [ICON_COLOURS[it["colour"]] for it in icons])
        items += [icons[i] for i in kept]
        imgs.append(icon_imgs)
    imgs = np.concatenate(imgs)
    for it in items:
        it["split"] = split_of(it["concept"])
        if it["style"] == "noto":
            it["src"] = "NotoColorEmoji.ttf:" + it["src"]
        elif not it["src"].startswith("@iconify-json/"):
            it["src"] = os.path.relpath(it["src"], NM)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "images.npy"), imgs)
    json.dump(items, open(os.path.join(OUT, "meta.json"), "w"))
    for s in ("fluent", "twemoji", "noto", *ICONIFY_STYLES.values(), *ICON_STYLES.values()):
        print(s, sum(it["style"] == s for it in items))
    for s in ("train", "val", "test"):
        print(s, sum(it["split"] == s for it in items), "images,", len({it["concept"] for it in items if it["split"] == s}), "concepts")


if __name__ == "__main__":
    main()
