"""Dataset items that need no rendering: the Tabler icon items (caption parts, colour, concept, split)."""
import os

from training.data.__main__ import ICON_COLOURS, split_of, tabler_items
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
