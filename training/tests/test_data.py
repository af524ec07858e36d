"""Dataset items that need no rendering (the Tabler and Iconify items: caption parts, colour, concept, split), and the
rasterizer's recovery from an SVG that aborts it."""
import os

from training.data.__main__ import ICON_COLOURS, iconify_items, split_of, tabler_items
from training.text import caption

ICONS = {  # the shape of @tabler/icons' icons.json
    "apple": {"category": "Food", "tags": ["fruit", "apple", "food", 7], "styles": {"outline": {}, "filled": {}}},
    "brand-github": {"category": "Brand", "tags": ["code"], "styles": {"outline": {}}},
    "arrow-left": {"category": "Arrows", "tags": ["arrow", "west", "left-arrow"], "styles": {"outline": {}}},
}


def test_tabler_items():
    items = tabler_items(ICONS)
    assert [(it["concept"], it["style"]) for it in items] == [
        ("tabler:apple", "line icon"), ("tabler:apple", "filled icon"), ("tabler:arrow-left", "line icon")]  # no logos
    assert items == tabler_items(dict(reversed(ICONS.items())))  # the same items whatever the file's order
    for it in items:
        colour, rest = it["label"].split(" ", 1)
        assert colour == it["colour"] and colour in ICON_COLOURS  # the colour it is drawn in, named first
        assert rest == it["concept"][len("tabler:"):].replace("-", " ")
        assert it["src"].endswith(os.path.join("@tabler", "icons", "icons", "outline" if it["style"] == "line icon" else "filled",
                                               it["concept"][len("tabler:"):] + ".svg"))
    apple, _, arrow = items
    assert apple["tags"] == ["fruit", "food", "7"]  # label words left out, numbers as words
    assert arrow["tags"] == ["west"]  # "left-arrow" only repeats the label
    assert caption(apple) == f"{apple['colour']} apple, line icon, fruit, food, 7"
    assert split_of(apple["concept"]) == split_of(items[1]["concept"])  # both drawings of an icon in one split


def test_iconify_items_join_emojibase_by_slug():
    eb = {"1F34E": dict(label="red apple", tags=["fruit"], concept="1F34E", group=4),
          "1F44B": dict(label="waving hand", tags=["wave"], concept="1F44B", group=1),
          "1F44B-1F3FB": dict(label="waving hand: light skin tone", tags=["wave"], concept="1F44B", group=1)}
    icon_set = {"width": 64, "height": 64, "icons": {
        "redapple": {"body": "<path d='M0 0h8v8z'/>"},  # fxemoji-style name without hyphens
        "waving-hand": {"body": "<g/>", "width": 32, "left": 2},
        "waving-hand-light-skin-tone": {"body": "<g/>"},  # skin tones are left out
        "not-an-emoji": {"body": "<g/>"}}}
    items = iconify_items(eb, "fxemoji", icon_set)
    assert [(it["label"], it["style"], it["src"]) for it in items] == [
        ("red apple", "vintage", "@iconify-json/fxemoji:redapple"), ("waving hand", "vintage", "@iconify-json/fxemoji:waving-hand")]
    assert items[0]["svg"] == '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path d=\'M0 0h8v8z\'/></svg>'
    assert 'viewBox="2 0 32 64"' in items[1]["svg"]  # an icon's own box overrides the set's


def test_rasterize_goes_on_after_an_svg_that_aborts_the_rasterizer(monkeypatch):
    import json
    import subprocess

    import numpy as np

    import training.data.__main__ as data

    def fake_node(cmd, cwd, stderr):  # draws entry i as grey level i and dies, as resvg's panic does, on "<bad/>"
        entries = json.load(open(cmd[2]))
        with open(cmd[3], "wb") as out:
            for e in entries:
                if e["svg"] == "<bad/>":
                    return subprocess.CompletedProcess(cmd, 134)
                out.write(np.full((data.SIZE, data.SIZE, 3), int(e["svg"][1:-2]), np.uint8).tobytes())
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(data.subprocess, "run", fake_node)
    imgs, kept = data.rasterize_svgs(["<0/>", "<bad/>", "<2/>", "<bad/>", "<bad/>", "<5/>"])
    assert kept == [0, 2, 5] and imgs.shape == (3, data.SIZE, data.SIZE, 3)
    assert imgs[:, 0, 0, 0].tolist() == [0, 2, 5]
    assert data.rasterize_svgs(["<7/>", "<bad/>"])[1] == [0]  # the last entry aborting ends it too
