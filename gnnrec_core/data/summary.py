"""A cleaned dataset's headline figures, one record for every reader: the Data page's cards, the
CLI's `ingest` (and its JSON, whose keys are the fields), the HTML report and Compare › Two datasets,
each line in words (`lines`), never a field name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from .ingest import IngestResult, _all_baskets, basket_count
from .log_words import KINDS, PURCHASES, LogWords, log_words
from .rating_floor import floor_text


@dataclass(frozen=True)
class DataSummary:
    rows: int
    users: int
    items: int
    items_with_users: int  # the models' catalogue: products some known customer bought (the rest in baskets only)
    baskets: int
    # baskets that held only postage or fees, in no count (baskets_of): the gap a reader otherwise finds
    # between the baskets read and the baskets counted
    fee_only_baskets: int
    user_item_pairs: int
    density: float  # over the models' catalogue
    first_time: str | None
    last_time: str | None
    repeat_users: int  # customers with two or more products
    lowest_rating: float | None = None  # a ratings log's lowest rating: it counts as an interaction too
    min_rating: float | None = None  # the floor ratings were read with (lower ones dropped), if any
    # no basket column: each customer's whole history is one basket (ingest.baskets_of), which a ratings log's
    # "Baskets 666" beside 666 customers did not say
    baskets_are_customers: bool = False
    records: str = PURCHASES.kind  # what the log records (log_words): "purchases", "ratings" or "visits"

    @property
    def words(self) -> LogWords:
        return KINDS[self.records]

    @property
    def baskets_words(self) -> str:
        """The basket count, saying where no basket column made each customer's history one basket."""
        return f"{self.baskets:,}" + (" (no basket column: one per customer)" if self.baskets_are_customers else "")

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def density_words(self) -> str:
        """0.0200 -> "2.00%"; a very sparse log's 0.000042 -> "0.0042%", not "0.00%"."""
        share = self.density
        return f"{share:.2%}" if share >= 0.0001 or share == 0 else f"{share * 100:.2g}%"

    def lines(self) -> list[tuple[str, str]]:
        """(figure, value) in words, in the Data page's order; dates only where the data has them."""
        shown = [("Rows kept", f"{self.rows:,}"), ("Customers", f"{self.users:,}"), ("Products", f"{self.items:,}"),
                 # one label whatever the log records: Compare › Two datasets lines two logs' figures up by it
                 ("Products with a known customer", f"{self.items_with_users:,}"),
                 ("Baskets", self.baskets_words)]
        # Kept fee-only baskets (charges kept); where charges were dropped, their baskets are the cleaning
        # report's "baskets whose every line was dropped", and a "0" here read as contradicting it.
        shown += [("Baskets of postage or fees alone", f"{self.fee_only_baskets:,}")] if self.fee_only_baskets else []
        shown += [("Customer-product pairs", f"{self.user_item_pairs:,}"), ("Density", self.density_words),
                 ("Customers with two or more products", f"{self.repeat_users:,}")]
        if self.first_time and self.last_time:
            shown += [("First date", self.first_time[:16]), ("Last date", self.last_time[:16])]
        if self.ratings_words:  # film data read '1 star' as a purchase, with no word of it
            shown += [("Ratings", self.ratings_words)]
        return shown

    def training_warning(self, basket_column: str | None, option: Callable[[str], str] | None = None,
                         lookup: str = "") -> str | None:
        """Why per-customer training would fail or be noisy on this data (None: it will not), as the
        Data page and `ingest` both say it; `basket_column`: the log's basket column, if mapped;
        `option`: the CLI's words for mapping a column as the customer (" (--user-col NAME)");
        `lookup`: where the front end takes a lookup table (" (--lookup FILE)")."""
        if 0 < self.users < 2 or self.items < 2:
            return (f"{self.users:,} customer(s) and {self.items:,} product(s): training needs at least 2 of each; "
                    "association rules still work on baskets.")
        if self.users == 0:  # the customers' own column first: a basket as its customer is the fallback
            said = option or (lambda column: "")
            return ("No customer column was recognised: association rules work, but per-customer training needs "
                    f"one. Map the column that names customers, if the log has one{said('NAME')}"
                    # Order lines apart from their orders (Instacart's two files): the customer is a join away
                    + (f", or join it through '{basket_column}' from a table naming each basket's customer, "
                       f"such as an orders table{lookup}" if basket_column else "")
                    + (f"; else map the basket column ('{basket_column}') as the customer, to train with each basket "
                       f"as its customer{said(basket_column)}." if basket_column else "."))
        if self.users < 20 or self.repeat_users < 10:
            return (f"Thin data: {self.users:,} customers, {self.repeat_users:,} with two or more products. "
                    "Training will run, but expect noisy results.")
        return None

    @property
    def ratings_words(self) -> str:
        """What a rating counts for ('' where the log has none), as every front end says it."""
        dropped = f"ratings below {floor_text(self.min_rating)} were dropped as not liked" if (
            self.min_rating is not None) else ""
        if self.lowest_rating is None:
            return f"{dropped}; no rated line is left" if dropped else ""
        kept = f"{dropped}; every rating left" if dropped else "every rated product"
        floor = "" if self.min_rating is not None else "; a minimum rating drops low ones"
        return (f"{kept} counts as an interaction, a rating of {self.lowest_rating:g} as much as the highest "
                f"(weighting 'rating' weighs them{floor})")


def summary(result: IngestResult) -> DataSummary:
    """Headline figures of a cleaned dataset."""
    events = result.events
    with_user = events[events["user"].notna()]
    pairs = with_user[["user", "item"]].drop_duplicates()
    users, items = with_user["user"].nunique(), events["item"].nunique()
    times = events["time"].dropna()
    baskets = basket_count(events)
    return DataSummary(
        rows=len(events), users=int(users), items=int(items), items_with_users=int(with_user["item"].nunique()),
        baskets=baskets, fee_only_baskets=_all_baskets(events) - baskets, user_item_pairs=len(pairs),
        baskets_are_customers=bool(len(events)) and bool(events["basket"].isna().all()),
        density=float(len(pairs) / max(users * with_user["item"].nunique(), 1)),
        first_time=str(times.min()) if len(times) else None, last_time=str(times.max()) if len(times) else None,
        repeat_users=int((pairs.groupby("user").size() >= 2).sum()) if len(pairs) else 0,
        lowest_rating=float(events["rating"].min()) if "rating" in events and events["rating"].notna().any() else None,
        min_rating=result.report.min_rating, records=log_words(result.mapping).kind)


__all__ = ["DataSummary", "summary"]
