"""Dumps with no header, in the layouts the field publishes them: MovieLens' ratings.dat and
movies.dat ('::' between fields, refused as one column), Amazon's ratings-only CSV and SNAP's
check-ins. Each was refused ("found none among: column_1, ...") until every role was mapped by hand."""

import json
import random

import pytest
from test_cli import run_cli
from test_duckdb_ingest import assert_same

from gnnrec_core.data.mapping import detect_mapping
from gnnrec_core.data.readers import read_table
from gnnrec_core.errors import InputError


@pytest.fixture
def movielens(tmp_path):
    """ratings.dat and movies.dat as MovieLens 1M writes them: a title with a comma, genres by '|'
    in varying numbers (read with ',' or '|' the rows' widths varied: a basket list)."""
    rng = random.Random(0)
    ratings, movies = tmp_path / "ratings.dat", tmp_path / "movies.dat"
    ratings.write_text("".join(f"{u}::{m}::{rng.randint(1, 5)}::{978300760 + 37 * u + m}\n"
                               for u in range(1, 61) for m in rng.sample(range(1, 81), 12)))
    genres = ["Comedy", "Animation|Children's|Comedy", "Drama|War", "Action|Sci-Fi|Thriller|War"]
    # The first line's ID, title and genres found on no other line: it was taken for the header
    movies.write_text("".join(f"{m}::{'American President, The' if m == 7 else f'Film number {m}'} (199{m % 10})::"
                              f"{'Fantasy|Musical' if m == 1 else genres[m % 4]}\n" for m in range(1, 81)),
                      encoding="latin-1")
    return ratings, movies


def test_movielens_dat_files_read_as_the_user_types_them(movielens, tmp_path):
    ratings, movies = movielens
    out = tmp_path / "ingest.json"
    done = run_cli("ingest", ratings, "--items", movies, "--json", out)
    assert done.returncode == 0, done.stderr
    said = json.loads(out.read_text())
    assert said["mapping"] | {} == {**said["mapping"], "user": "column_1", "item": "column_2", "rating": "column_3",
                                    "time": "column_4"}
    assert said["report"]["catalogue_mapping"] == {"item": "column_1", "item_name": "column_2",
                                                   "category": "column_3", "price": None}
    assert said["report"]["rows_kept"] == 60 * 12 and said["summary"]["items"] == len(
        {line.split("::")[1] for line in ratings.read_text().splitlines()})
    assert "note: fields separated by '::' (as MovieLens' .dat files are)" in done.stderr
    assert ("note: no header: the columns' roles were read from their values (user column_1, item column_2, "
            "time column_4, rating column_3); map them where they are not") in done.stderr
    assert "  item_name  -  (from the catalogue's column_2)" in done.stdout
    result = assert_same(ratings, items=movies)  # both engines alike
    assert result.catalogue.loc["7", "name"] == "American President, The (1997)"
    assert result.catalogue.loc["1", "category"] == "Fantasy|Musical"
    assert result.catalogue.loc["5", "category"] == "Animation|Children's|Comedy"
    assert result.events["time"].min().year == 2000 and result.events["rating"].between(1, 5).all()


def test_rules_on_a_ratings_dump_say_what_a_basket_is_there(movielens):
    ratings, movies = movielens
    done = run_cli("rules", ratings, "--items", movies, "--min-support", "0.05")
    assert done.returncode == 0, done.stderr
    assert " rules from 60 baskets (each a customer's whole history, as the log has no orders; min support 0.05" \
        in done.stdout.splitlines()[0]
    # A genre of movies.dat's "Animation|Children's|Comedy" is asked for by itself
    comedy = run_cli("rules", ratings, "--items", movies, "--min-support", "0.05", "--category", "children's")
    assert comedy.returncode == 0, comedy.stderr
    assert "have a product in Children's" in comedy.stdout.splitlines()[0] and " 0 of the " not in comedy.stdout
    # basket-eval hides one product of each 'basket': said to be a customer's whole history there too
    completion = run_cli("basket-eval", ratings, "--models", "pop,itemknn")
    assert completion.returncode == 0, completion.stderr
    assert completion.stdout.startswith("60 baskets (each a customer's whole history, as the log has no orders), ")


def test_a_users_mapping_keeps_the_other_roles_in_their_places(movielens):
    ratings, _ = movielens
    frame = read_table(ratings)
    chosen = detect_mapping(frame, user="column_1")
    assert (chosen.item, chosen.rating, chosen.time) == ("column_2", "column_3", "column_4")
    nothing_rated = detect_mapping(frame, rating="")
    assert nothing_rated.rating is None and nothing_rated.time == "column_4"


def test_amazon_ratings_and_snap_checkins_read_without_a_header(tmp_path):
    rng = random.Random(1)
    amazon = tmp_path / "ratings_Books.csv"
    amazon.write_text("".join(f"A{u:05d}QX,B00{rng.randint(0, 300):05d},{rng.choice(['1.0', '4.0', '5.0'])},"
                              f"{1291420800 + rng.randint(0, 10 ** 8)}\n" for u in range(80) for _ in range(5)))
    mapped = detect_mapping(read_table(amazon))
    assert (mapped.user, mapped.item, mapped.rating, mapped.time) == ("column_1", "column_2", "column_3", "column_4")
    checkins = tmp_path / "loc-checkins.txt"
    checkins.write_text("".join(f"{u}\t2010-10-{rng.randint(10, 28)}T23:55:27Z\t30.{rng.randint(10 ** 8, 10 ** 9)}\t"
                                f"-97.{rng.randint(10 ** 8, 10 ** 9)}\t{rng.randint(0, 300)}\n"
                                for u in range(80) for _ in range(5)))
    mapped = detect_mapping(read_table(checkins))
    assert (mapped.user, mapped.item, mapped.time, mapped.rating) == ("column_1", "column_5", "column_2", None)
    time_first = tmp_path / "events.csv"  # a time written first is no customer
    time_first.write_text("".join(f"{1600000000 + 977 * n},{n % 40},{n % 23}\n" for n in range(200)))
    mapped = detect_mapping(read_table(time_first))
    assert (mapped.user, mapped.item, mapped.time) == ("column_2", "column_3", "column_1")


def test_a_wide_headerless_export_and_a_csv_holding_double_colons_are_read_as_before(tmp_path):
    wide = tmp_path / "export.csv"
    wide.write_text("".join(f"5{i:05d},2{i % 40:04d},THING {i % 40},{i % 5 + 1},2010-12-01 08:26,2.55,"
                            f"1{i % 30:04d},UK\n" for i in range(100)))
    guessed = detect_mapping(read_table(wide))  # eight columns: its invoice would be taken for the customer
    assert (guessed.user, guessed.item, guessed.time) == (None, None, "column_5")
    code = tmp_path / "symbols.csv"
    code.write_text("user_id,product_id,kind\n" + "".join(f"u{i % 7},p{i % 11},std::vector\n" for i in range(40)))
    frame = read_table(code)
    assert list(frame.columns) == ["user_id", "product_id", "kind"] and set(frame["kind"]) == {"std::vector"}


def test_a_title_ending_in_a_colon_keeps_it(tmp_path):
    movies = tmp_path / "movies.dat"
    movies.write_text("".join(f"{m}::Film {m}::Drama|War\n" for m in range(1, 30)) + "30::What Is It?:::Drama\n")
    frame = read_table(movies)
    assert frame.iloc[-1].tolist() == ["30", "What Is It?:", "Drama"]


def test_a_double_colon_row_of_other_width_is_refused_in_its_own_words(tmp_path):
    dat = tmp_path / "ratings.dat"
    dat.write_text("".join(f"{u}::{u % 9}::4::978300760\n" for u in range(1, 40)) + "40::2::4::978300760::extra\n")
    with pytest.raises(InputError, match=r"found 5 in row 40.*is a '::' inside a value unquoted"):
        read_table(dat)


def test_a_headerless_catalogue_of_one_word_names_takes_them_for_names(tmp_path):
    """'1,Apple,Fruit': names of one word had no space, so they were taken for the category and the
    repeated departments beside them were left unread. A code column of SKUs stays apart from the names."""
    log, catalogue = tmp_path / "lines.csv", tmp_path / "products.csv"
    words = "Apple Banana Cherry Damson Elder Fig Grape Hazel Ivy Jujube Kiwi Lime".split()
    pairs = "".join(f"c{c},{p}\n" for c in range(30) for p in range(1, 13) if (c + p) % 3)
    log.write_text("customer,product\n" + pairs)
    catalogue.write_text("".join(f"{p},SKU-{p:04d},{word},{'Fruit' if p % 2 else 'Nuts'}\n"
                                 for p, word in enumerate(words, start=1)))
    out = tmp_path / "ingest.json"
    done = run_cli("ingest", log, "--items", catalogue, "--json", out)
    assert done.returncode == 0, done.stderr
    mapped = json.loads(out.read_text())["report"]["catalogue_mapping"]
    assert {role: column for role, column in mapped.items() if column} == {
        "item": "column_1", "item_name": "column_3", "category": "column_4"}
    assert "item_name  -  (from the catalogue's column_3)" in run_cli("ingest", log, "--items", catalogue).stdout
    result = assert_same(log, items=catalogue)  # both engines alike
    assert (result.catalogue.loc["1", "name"], result.catalogue.loc["1", "category"]) == ("Apple", "Fruit")


def test_a_small_headerless_catalogue_keeps_a_category_that_never_repeats():
    """Four dishes in four courses: no category value repeats, and the course column went unread once
    categories had to repeat; a column of distinct codes beside the names is still no category."""
    import pandas as pd

    from gnnrec_core.data.headerless import catalogue_roles

    dishes = pd.DataFrame([["1", "Apple pie", "Desserts"], ["2", "Beef stew", "Mains"],
                           ["3", "Carrot soup", "Starters"], ["4", "Duck confit", "Sides"]],
                          columns=["column_1", "column_2", "column_3"])
    assert catalogue_roles(dishes, {}) == {"item": "column_1", "item_name": "column_2", "category": "column_3"}
    coded = dishes.assign(column_3=[f"SKU-{n:04d}" for n in range(4)])
    assert catalogue_roles(coded, {}) == {"item": "column_1", "item_name": "column_2"}
