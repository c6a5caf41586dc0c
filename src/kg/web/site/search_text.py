"""The words of the search pages, the type-ahead and the "not found" help, in Swedish and
English (kept apart from ``interface_text`` so that the search pages' wording is in one place)."""

from __future__ import annotations

TEXT = {
    "sv": {
        "nothing_found": "Inget hittades för",
        "did_you_mean": "Menade du",
        "close_names": "Närliggande namn",
        "covers": "Grafen innehåller",
        "covers_tail": (
            "Bläddra i listorna eller sök på ett namn, ett årtal eller ett ord ur ett citat."
        ),
        "lists": "Listor",
        "suggest_hint": (
            "Förslag visas medan du skriver; välj med pil upp och ned, Enter öppnar, Esc stänger."
        ),
        "suggestions": "Förslag",
        "search_for": "Sök efter",
        "not_found_search": "Sök efter det i grafen",
    },
    "en": {
        "nothing_found": "Nothing found for",
        "did_you_mean": "Did you mean",
        "close_names": "Close names",
        "covers": "The graph holds",
        "covers_tail": "Browse the lists, or search for a name, a year or a word from a quote.",
        "lists": "Lists",
        "suggest_hint": (
            "Suggestions appear as you type; choose with the up and down arrows, "
            "Enter opens, Esc closes."
        ),
        "suggestions": "Suggestions",
        "search_for": "Search for",
        "not_found_search": "Search the graph for it",
    },
}


def search_text(lang: str) -> dict[str, str]:
    """The words in ``lang`` (Swedish when the language is unknown)."""
    return TEXT.get(lang, TEXT["sv"])
