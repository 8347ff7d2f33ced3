"""Column mapping: which column of an upload plays which role (user, item, time, basket, ...).

Detection looks at names first (InvoiceNo/StockCode/CustomerID, order_id/product_id/user_id,
user_id:token, visitorid/itemid/event, ...) and at content where names say nothing (a column of
dates). Every guess can be overridden; an override that names a missing column is an error that
lists the columns there are.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd

from ..errors import InputError

# Role -> normalised names, best first. Normalising drops case, RecBole's ":token" style type
# suffixes and every non-alphanumeric character, so "Customer ID", "customer_id" and
# "customerid:token" all read "customerid". Not taken: "Item No" (an SAP order's line position) and
# "Account Number" (a ledger's account in a finance export): a silent wrong mapping is worse than
# none, which the Data page and `ingest` ask the user to map. After the English names, the usual
# German, French, Spanish and Dutch export headers (Kundennr, Artikelnr, Rechnungsnr, Menge, ...) and
# symbol-only forms ("Cust #" reads "cust", "Order Ref." "orderref").
# Check-in logs (Gowalla, Foursquare, Yelp): the place is the item, after any product column (a retail
# export's "Location ID" is its store's); a log whose product is one of these records visits (log_words).
PLACE_ITEMS = ("venueid", "poiid", "placeid", "locationid", "locid", "spotid", "businessid", "venue", "poi")
SYNONYMS: dict[str, tuple[str, ...]] = {
    "user": ("customerid", "userid", "visitorid", "clientid", "memberid", "buyerid", "accountid",
             "customernumber", "customerno", "customernr", "customercode", "customerkey", "custid", "custno",
             "clientnumber", "clientno", "membernumber", "memberno", "shopperid",
             # other languages' numbers and codes before any bare noun: a French "Client" is the name
             "kundennr", "kundennummer", "kundenid", "numeroclient", "nclient", "noclient", "codeclient",
             "refclient", "idcliente", "numerocliente", "nocliente", "codigocliente", "klantnummer", "klantnr",
             "customer", "user", "visitor", "client", "member", "buyer", "shopper", "uid", "reviewerid",
             "cust", "kunde", "cliente", "klant"),
    "item": ("stockcode", "productid", "itemid", "sku", "articleid", "asin", "movieid", "isbn",
             "productcode", "itemcode", "productnumber", "productno", "productkey", "articlenumber", "articleno",
             "skuid", "skucode", "skuvariant", "variantsku",
             "artikelnr", "artikelnummer", "artikelid", "artikelcode", "produktid", "produktnr", "codearticle",
             "refarticle", "referencearticle", "idproducto", "codigoproducto", "codigoarticulo",
             "product", "item", "article", "iid", "bookid", "artikel", "producto", *PLACE_ITEMS),
    # Not the bare French "commande"/"facture": accents folded, an EBP or Sage line's "Commandé" and
    # "Facturé" (quantities ordered and invoiced) read the same, and 200 orders became 5 baskets.
    "basket": ("invoiceno", "invoice", "invoiceid", "invoicenumber", "orderid", "ordernumber", "orderno", "order",
               "basketid", "basket", "transactionid", "transaction", "receiptid", "receipt",
               "cartid", "sessionid", "session",
               "orderref", "orderreference", "rechnungsnr", "rechnungsnummer", "bestellnr", "bestellnummer",
               "auftragsnr", "auftragsnummer", "belegnr", "belegnummer", "numerocommande", "numerodecommande",
               "ncommande", "numerofacture", "nfacture", "npiece", "numeropiece", "numeropedido", "nopedido",
               "bestelnummer", "factuurnummer", "rechnung", "bestellung", "pedido", "factura"),
    "time": ("invoicedate", "timestamp", "datetime", "eventtime", "ordertime", "orderdate",
             "purchasedate", "createdat", "checkintime", "utctime", "date", "time", "ts",
             "unixreviewtime", "reviewtime", "reviewdate", "ratingtime",  # review dumps (Amazon's)
             "datum", "rechnungsdatum", "bestelldatum", "belegdatum", "datecommande", "datefacture", "fecha"),
    "event": ("event", "eventtype", "action", "behavior", "behaviour", "interaction",
              "interactiontype", "eventname"),
    "quantity": ("quantity", "qty", "units", "unitssold", "count", "quantityordered",
                 "menge", "anzahl", "quantite", "cantidad", "aantal"),
    "price": ("unitprice", "price", "unitcost", "saleprice", "listprice", "cost", "amount",
              "einzelpreis", "stueckpreis", "stuckpreis", "preis", "prixunitaire", "prix", "preciounitario", "precio",
              "prijs"),
    # "overall" and "review" only as whole names: Amazon review dumps rate in "overall" and write the
    # review in "reviewText", which a "review" word read as the rating and refused as text
    "rating": ("rating", "stars", "score", "reviewscore", "starrating", "ratingvalue", "overall", "review",
               "bewertung", "sterne"),
    "item_name": ("description", "productname", "itemname", "movietitle", "title", "name",
                  "productdescription", "productdesc",
                  "artikelbezeichnung", "bezeichnung", "artikelname", "produktname", "beschreibung", "designation",
                  "libelle", "nombreproducto", "descripcion", "omschrijving"),
    "category": ("category", "categoryname", "productcategory", "categoryid", "department",
                 "genre", "genres", "class", "aisle", "section", "productgroup", "itemcategory",
                 "kategorie", "warengruppe", "categorie", "categoria"),
}
ROLES = tuple(SYNONYMS)


@dataclass(frozen=True)
class ColumnMapping:
    """Role -> column name in the uploaded table; None when the table has no such column."""

    user: str | None = None
    item: str | None = None
    time: str | None = None
    basket: str | None = None
    event: str | None = None
    quantity: str | None = None
    price: str | None = None
    rating: str | None = None
    item_name: str | None = None
    category: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def validate(self, columns: list[str], nested: Mapping[str, str] | None = None) -> "ColumnMapping":
        """Check that every mapped column exists, holds one value per row (`nested`: the columns of
        lists or records, frames.NESTED) and that an item column is mapped."""
        nested = nested or {}
        for role, column in self.as_dict().items():
            if column is not None and column not in columns:
                raise InputError(f"expected a column '{shown(column)}' for {role.replace('_', ' ')}, "
                                 f"found only: {listed(columns)}{column_hint(column, columns)}")
            if column is not None and column in nested:  # its text, "['a' 'b']", would be one product
                what, kind = role.replace("_", " "), nested[column]
                held = "a list of values" if kind == "lists" else "a record of fields"
                flag = f"--{'name' if role == 'item_name' else role}-col"
                # Exploding a list of products gives one line per product; of categories or quantities, copies
                explode = (f"give the file one row per {what} (in pandas, frame.explode('{shown(column)}')), or "
                           if kind == "lists" and role in ("item", "user", "basket") else "")
                raise InputError(f"expected one {what} per row in column '{shown(column)}', found {held} in each row: "
                                 f"{explode}map another column as {what}, or none (the Data page's {what} role; "
                                 f"{flag} NAME, or {flag} '' for none)")
        if self.item is None and len(columns) == 1 and columns[0] in nested:  # no delimiter to blame
            raise InputError(f"expected a table of several columns (user, item, ...), found one column "
                             f"'{shown(columns[0])}' holding {nested[columns[0]]}: give one row per product, with "
                             "its customer or basket in a column of its own")
        if self.item is None and len(columns) == 1:
            raise InputError(f"expected a table of several columns (user, item, ...), found one column "
                             f"'{shown(columns[0])}': is it delimited by something other than , ; tab or |? "
                             "Save it as comma-separated CSV")
        if self.item is None:
            raise InputError("expected a column of product/item IDs, found none among: "
                             f"{listed(columns)}; map it (the Data page's item role, or --item-col NAME)")
        if self.user is None and self.basket is None:  # said with the columns there are, as the item's is
            raise InputError("expected a column of customers or of baskets/orders to group products by, found "
                             f"neither among: {listed(columns)}; map one (the Data page's user or basket role, "
                             "or --user-col NAME / --basket-col NAME)")
        # One column as both customer and basket is a mapping, not a slip: baskets without customers
        # trained with each basket as its customer (what `train` suggests for a basket list).
        used = [c for role, c in self.as_dict().items() if c is not None and not (role == "basket" and c == self.user)]
        duplicated = sorted({c for c in used if used.count(c) > 1})
        if duplicated:
            raise InputError(f"expected each column in one role, found '{shown(duplicated[0])}' in several")
        return self


LINE_ENDS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")  # every break str.splitlines() sees


def shown(value: object, most: int = 60) -> str:
    """A value for a one-line message: line breaks become spaces, at most `most` characters."""
    return LINE_ENDS.sub(" ", str(value))[:most]


def listed(names: list[str], most: int = 20) -> str:
    """Names for a one-line message: the first `most`, and how many more."""
    text = ", ".join(shown(n) for n in names[:most])
    return text + (f" and {len(names) - most:,} more" if len(names) > most else "")


def normalise_name(name: str) -> str:
    name = re.sub(r":(token|token_seq|float|int)$", "", str(name).strip().lower())
    name = unicodedata.normalize("NFKD", name)  # "Quantité" reads "quantite", not "quantit"
    return re.sub(r"[^a-z0-9]", "", name)


def detect_mapping(frame: pd.DataFrame, **overrides: str | None) -> ColumnMapping:
    """Guess each role's column; keyword overrides (role=column) win over guesses, and an empty
    override (role="") maps no column to the role (a price column of '2,55' refused, a user's way out).
    A table with no header is read as an interaction log's (headerless.event_roles)."""
    return guess_mapping(frame, overrides, headerless_log=True)


def guess_mapping(frame: pd.DataFrame, overrides: Mapping[str, str | None], headerless_log: bool) -> ColumnMapping:
    """detect_mapping's guess; `headerless_log` False for a catalogue, which reads its own roles from
    the values of a table with no header (headerless.catalogue_roles)."""
    columns = list(frame.columns)
    normalised = {c: normalise_name(c) for c in columns}
    taken: set[str] = {c for c in overrides.values() if c}
    guesses: dict[str, str | None] = {}
    for role in ROLES:
        if role in overrides and overrides[role] is not None:
            continue
        # The one column two roles may share: a basket column named as the customer (`--user-col
        # basket`, each basket its own customer) is still the basket (it was dropped as taken).
        shared = {overrides.get("user")} if role == "basket" else set()
        guess = _by_name(role, columns, normalised, taken - shared)
        guesses[role] = guess
        if guess:
            taken.add(guess)
    if not guesses.get("time") and "time" not in overrides:
        guesses["time"] = _date_like_column(frame, taken)
    if headerless_log:
        from .headerless import event_roles

        # an empty override maps none, so that role is not open either
        fixed = {role: column for role, column in {**guesses, **overrides}.items() if column is not None}
        guesses.update(event_roles(frame, fixed))
    unknown = set(overrides) - set(ROLES)
    if unknown:
        raise InputError(f"expected roles among {', '.join(ROLES)}, found {', '.join(sorted(unknown))}")
    merged = {**guesses, **{k: v or None for k, v in overrides.items() if v is not None}}
    return ColumnMapping(**merged)


def _by_name(role: str, columns: list[str], normalised: dict[str, str], taken: set[str]) -> str | None:
    free = [c for c in columns if c not in taken]
    for synonym in SYNONYMS[role]:  # exact name first, in order of preference
        for column in free:
            if normalised[column] == synonym:
                return column
    # A name that is another role's own ("InvoiceDate", the time's) is not taken for the words it holds
    # ("invoice"): with no InvoiceNo column, the date became the basket and every basket one moment.
    others = {c for c in free if any(normalised[c] in SYNONYMS[r] for r in ROLES if r != role)}
    for synonym in SYNONYMS[role][:6]:  # then a name that contains a strong synonym as whole words
        if len(synonym) < 5:
            continue
        for column in free:
            if column in others:
                continue
            if synonym in _word_runs(column):  # "Customer ID Hash" holds customerid; "Country" no count
                return column
    return None


def _word_runs(name: str) -> set[str]:
    """Every run of consecutive words of a column name, joined: "order_line_qty" gives order,
    line, qty, orderline, lineqty, orderlineqty. Words split at non-letters and camel case."""
    words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", re.sub(r":\w+$", "", str(name)))]
    return {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}


def _date_like_column(frame: pd.DataFrame, taken: set[str]) -> str | None:
    sample = frame.head(200)
    column: str
    for column in frame.columns:
        if column in taken:
            continue
        values = sample[column].dropna().astype(str)
        if values.empty or not values.str.contains(r"[-/:]").mean() > 0.9:
            continue
        try:  # utc: offsets that differ (+01:00, +02:00) or mix with none are still dates
            parsed = pd.to_datetime(values, errors="coerce", format="mixed", utc=True)
        except (ValueError, OverflowError, TypeError):
            continue
        if parsed.notna().mean() > 0.9:
            return column
    return None


def column_hint(typed: str, columns: list[str]) -> str:
    """' (did you mean 'StockCode'? ...)' for a column name typed with other case or separators
    ('stockcode') or a slip of a letter or two ('Customer Numbr'); '' where no one column is close."""
    alike = [c for c in columns if _folded(c) == _folded(typed)]
    if not alike:
        folded = {_folded(c): c for c in columns}
        alike = [folded[f] for f in difflib.get_close_matches(_folded(typed), list(folded), n=2, cutoff=0.8)]
    return f" (did you mean '{shown(alike[0])}'? names are matched exactly)" if len(alike) == 1 else ""


def _folded(name: str) -> str:
    """A column name without case, spaces, '_' or '-': what a typed name is compared on for a hint."""
    return "".join(ch for ch in name.casefold() if ch not in " _-")
