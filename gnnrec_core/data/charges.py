"""Charges, not products: postage, fees and adjustments in a retail export, by code and by name.

The one rule for ingest's drop (both engines: data/ingest.py, data/duck_clean.py), baskets
(`ingest.baskets_of`, by code alone) and the "leave out postage and fees" setting
(serving/merchandising.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

# Charges, not products (Online Retail and similar exports). A charge's own code decides alone
# (POST, DOT, ...). A name decides as a whole ("CARRIAGE" is a charge, "BLACK BAROQUE CARRIAGE CLOCK"
# a product), an adjustment too ("Adjust bad debt", "Adjustment by john on 26/01/2010", "reverse
# 21/5/10 adjustment"; not "ADJUSTABLE LAMP", "ADJUSTMENT SPANNER" nor "STRAP ADJUSTMENT CLIPS").
# The one-letter codes (M Manual, D Discount, S SAMPLES, B Adjust bad debt) go by their name where
# they have one, and without a name only where one-letter codes are a stray few among the log's
# (under LETTERED_SHARE of its codes): a log whose products are lettered A to Z keeps B, D, M and S.
# DCGS codes are products of the online shop, kept.
NON_PRODUCT_CODES = re.compile(r"^(POST|DOT|C2|CRUK|PADS|AMAZONFEE|BANK CHARGES|ADJUST\w*|TEST\d+|GIFT_\w+)$",
                               re.IGNORECASE)
NON_PRODUCT_NAMES = re.compile(
    r"^\s*(?:(?:dotcom\s+)?postage|carriage|manual|discount|samples?|bank charges|amazon fee)\s*$"
    r"|^\s*(?:adjust(?:ments?)?|adjust\s+bad\s+debt|adjustment\s+by\b.*|reverse\b.*\badjustments?)\s*$",
    re.IGNORECASE)
# The cleaning report's reason for the lines dropped: by code or by name, so not "code" alone.
DROP_REASON = "charge, not a product (postage, fees, adjustments)"
CHARGES_KEPT = "charge lines kept (postage, fees, adjustments; not dropped)"  # the report's note where kept
LETTER_CHARGES = re.compile(r"^[MDSB]$", re.IGNORECASE)
LETTERED_SHARE = 0.01


def lettered_catalogue(codes: pd.Series | pd.Index) -> bool:
    """Whether one-letter codes are products here: at least LETTERED_SHARE of the distinct codes
    are one letter (a catalogue lettered A to Z), not a stray few beside longer codes (Online
    Retail's M, D, S and B among 4,000). Both engines decide it over every row's code, before any drop."""
    distinct = pd.Index(codes).dropna().astype(str).unique()
    return bool(len(distinct)) and float((distinct.str.len() == 1).mean()) >= LETTERED_SHARE


def non_products(codes: pd.Series | pd.Index, names: pd.Series | pd.Index | None = None,
                 lettered: bool | None = None) -> np.ndarray:
    """Which items are charges (postage, fees, adjustments): a charge's code, a charge's name
    (`names` matched to `codes` by position, not by index; a missing name is no evidence), or a
    one-letter code M, D, S or B without a name where one-letter codes are a stray few (`lettered`:
    `lettered_catalogue`, decided over `codes` unless given). The one rule for ingest's drop (both
    engines) and the "leave out postage and fees" setting; baskets use the codes alone (`baskets_of`)."""
    codes = pd.Index(codes).astype(str)
    found = np.asarray(codes.str.match(NON_PRODUCT_CODES), bool)
    unnamed = np.ones(len(codes), bool)
    if names is not None:
        text = pd.Index(names).fillna("").astype(str)
        found |= np.asarray(text.str.contains(NON_PRODUCT_NAMES), bool)
        unnamed = np.asarray(text.str.strip() == "", bool)
    if not (lettered_catalogue(codes) if lettered is None else lettered):
        found |= np.asarray(codes.str.match(LETTER_CHARGES), bool) & unnamed
    return found


def log_has_charges(events: pd.DataFrame, dropped: Mapping[str, int]) -> bool:
    """Whether a log had charge lines: dropped at ingest (`dropped`: the report's reasons), or kept,
    which baskets leave out by `baskets_of`'s rule (codes alone)."""
    return DROP_REASON in dropped or bool(non_products(pd.Index(events["item"].unique()), lettered=True).any())
