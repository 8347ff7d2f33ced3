"""What the log records, in the words every front end uses for it: a purchase, a rating or a visit.

A film-ratings log read "bought by 268 customers" and "nearest purchase in the model", and a
check-in log "bought Cafe Nero": the retail words are the product's own, but on those logs they say
something false. The kind is read from the column mapping (one producer, `log_words`), so the CLI,
the pages and the report say the same of one dataset:
- orders, quantities, prices or events mapped: purchases (a retail export, whatever else it holds);
- else a rating column: ratings (MovieLens, Amazon's ratings dumps);
- else a product column named as a place (venue_id, placeid, business_id, ...): visits (check-ins);
- else purchases. A bare customer-product list cannot say what it records; the product's own words stay.
JSON keys keep their names ("buyers") whatever the kind: scripts read one contract.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mapping import PLACE_ITEMS, ColumnMapping, normalise_name

RETAIL_WORDS = re.compile(r"\b(bought|buyers|purchases|purchase|sales|sold)\b")


@dataclass(frozen=True)
class LogWords:
    kind: str  # "purchases", "ratings" or "visits"
    bought: str  # "bought": the customer ___ the product
    purchase: str  # "purchase": one product of a customer's history ("rated product")
    purchases: str
    buyers: str  # "buyers": the customers of one product
    sales: str  # "sales": how often a product was bought ("each product's own sales")

    @property
    def buyer(self) -> str:  # every plural above is the singular and an s
        return self.buyers[:-1]

    def said(self, text: str) -> str:
        """Text written in the retail words (a model's `link_scale`: "the cosine of the two products'
        buyers"), said in these: the models describe their numbers once, for every log."""
        spoken = {"bought": self.bought, "buyers": self.buyers, "purchases": self.purchases, "purchase": self.purchase,
                  "sales": self.sales, "sold": "sold" if self == PURCHASES else self.bought}
        return RETAIL_WORDS.sub(lambda found: spoken[found.group(0)], text)


PURCHASES = LogWords("purchases", "bought", "purchase", "purchases", "buyers", "sales")
RATINGS = LogWords("ratings", "rated", "rated product", "rated products", "raters", "ratings")
VISITS = LogWords("visits", "visited", "visited place", "visited places", "visitors", "visits")
KINDS = {words.kind: words for words in (PURCHASES, RATINGS, VISITS)}


def log_words(mapping: ColumnMapping) -> LogWords:
    """The words for what the mapped log records (module docstring)."""
    if any((mapping.basket, mapping.quantity, mapping.price, mapping.event)):
        return PURCHASES
    if mapping.rating:
        return RATINGS
    if mapping.item and normalise_name(mapping.item) in PLACE_ITEMS:
        return VISITS
    return PURCHASES
