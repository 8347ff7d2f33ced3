"""The labelled search queries of benchmarks/text_encoders.py's `search`, per catalogue: what a
merchandiser might type, and which products should come first. Kept apart from the benchmark's
code: they are data, written by hand from the catalogues' names."""

from __future__ import annotations

# query -> a regular expression (case-insensitive, searched in the product's text) that the
# products which should come first match. Written by hand from the catalogues' names; some queries
# share words with their answers, most say what the products are for.
QUERIES: dict[str, list[tuple[str, str]]] = {
    "retail": [
        ("something to put a tea light in", r"t-light holder|tealight holder|candle holder|lantern|votive"),
        ("christmas tree ornaments", r"bauble|christmas.*(decoration|ornament|tree)|(star|angel|heart).*tree"),
        ("keep biscuits and cakes fresh", r"cake tin|biscuit tin|cake tins|storage tin|cake stand"),
        ("baking cupcakes", r"cake cases|muffin|cupcake|baking|cake mould|cake tin|pastry"),
        ("stay dry in the rain", r"umbrella|raincoat|poncho|rain hat|wellies"),
        ("drink tea from", r"\bmugs?\b|teacup|tea cup|cups? and saucers?|beaker|tea glass"),
        ("packed lunch for school", r"lunch box|lunch bag|lunchbox|picnic"),
        ("tell the time", r"clock|watch"),
        ("carry the shopping", r"shopper|tote|jumbo bag|shopping bag|shopping basket"),
        ("stationery for writing", r"notebook|journal|\bpens?\b|pencil|address book|notepad|memo|note book|writing"),
        ("display family pictures", r"photo frame|picture frame|\bframe\b|photo album|album"),
        ("welcome guests at the front door", r"doormat|door mat"),
        ("wrap a present", r"wrap|gift bag|gift tag|ribbon|tissue|gift box"),
        ("jewellery", r"necklace|bracelet|earring|brooch|\bring\b|pendant|hair (clip|grip|slide)|bangle"),
        ("keep warm in winter", r"hot water bottle|scarf|hand warmer|slipper|blanket|\bthrow\b|mittens|bed socks"),
        ("soft furnishing for the sofa", r"cushion|\bthrow\b|blanket"),
        ("easter", r"easter|bunny|\begg|\bchick|rabbit"),
        ("toys for children", r"\btoys?\b|skipping rope|jigsaw|spinning top|playhouse|\bdolls?\b|\bgames?\b|puzzle|"
                              r"yo-yo|marbles"),
        ("sewing and knitting", r"sewing|knitting|needle|thread|button|crochet|\bfelt|cross stitch|embroider"),
        ("laying the dinner table", r"napkin|placemat|coaster|place setting|tablecloth|table runner|cutlery"),
        ("kitchen utensils", r"spoon|spatula|whisk|apron|oven glove|chopping board|utensil|measuring|cutlery|tongs"),
        ("storage baskets", r"basket|storage box|crate|storage tin|storage jar|storage bag"),
        ("bath time", r"\bbath|soap|toilet|towel|shower|wash bag"),
        ("garden party", r"bunting|garden|picnic|party|outdoor|croquet|paper lantern|parasol"),
        ("something to hang on the wall", r"wall (art|sign|decoration|mirror|clock|hanging)|metal sign|plaque|wall"),
        ("a card for a birthday", r"birthday|\bcard\b|greeting"),
    ],
    "ml100k": [
        ("scary films", r"\(.*horror"),
        ("cartoons for children", r"\(.*(animation|children's)"),
        ("battles and soldiers", r"\(.*war"),
        ("space and aliens", r"\(.*sci-fi"),
        ("love stories", r"\(.*romance"),
        ("whodunit detective stories", r"\(.*(mystery|film-noir)"),
        ("cowboys in the wild west", r"\(.*western"),
        ("films with songs and dancing", r"\(.*musical"),
        ("real life documented", r"\(.*documentary"),
        ("gangsters and heists", r"\(.*crime"),
        ("funny films", r"\(.*comedy"),
        ("suspense and thrills", r"\(.*thriller"),
        ("sword and sorcery", r"\(.*fantasy"),
        ("star wars", r"star wars|empire strikes back|return of the jedi"),
        ("christmas films", r"christmas|santa|miracle on 34th|jingle|home alone"),
        ("james bond films", r"^goldeneye|^tomorrow never dies"),
        ("batman and superheroes", r"^batman|^crow, the|^crow: city|^mask, the|^spawn|^judge dredd|^shadow, the|"
                                   r"^phantom, the|^tank girl|^barb wire"),
    ],
    "groceries": [
        ("alcoholic drinks", r"beer|wine|liquor|liqueur|\brum\b|whisky|brandy|prosecco"),
        ("dairy products", r"milk|yogurt|cheese|butter|cream|\bcurd"),
        ("household cleaning", r"cleaner|detergent|softener|decalcifier|house keeping"),
        ("meat and poultry", r"beef|pork|chicken|hamburger|^meat$|sausage|frankfurter|^ham$|turkey|liver loaf"),
        ("food for pets", r"cat food|dog food|pet care"),
        ("sweets", r"candy|chocolate|chewing gum|specialty bar|cake bar|marshmallow"),
        ("fresh fruit", r"berries|citrus fruit|grapes|pip fruit|tropical fruit"),
        ("bakery", r"bread|rolls/buns|pastry|zwieback|waffles|long life bakery|roll products|cake bar"),
        ("hot drinks", r"coffee|^tea$|cocoa drinks"),
        ("toiletries", r"soap|dental care|hair spray|skin care|make up remover|male cosmetics|hygiene|sanitary|"
                       r"baby cosmetics"),
        ("fish and seafood", r"fish"),
        ("baking ingredients", r"flour|sugar|baking powder|cooking chocolate|pudding powder|specialty fat"),
        ("condiments", r"ketchup|mustard|mayonnaise|sauces|salad dressing|vinegar|spices|^salt$|herbs"),
        ("frozen food", r"frozen|ice cream"),
        ("savoury snacks", r"salty snack|nut snack|popcorn|snack products|nuts/prunes|tidbits"),
        ("soft drinks", r"soda|bottled water|juice|misc\. beverages|^beverages$|syrup"),
        ("for the baby", r"baby"),
        ("gardening", r"flower|potted plants"),
        ("paper goods for the kitchen", r"napkins|kitchen towels|cling film|bags"),
        ("vegetables", r"vegetables|onions|herbs|potato products"),
        ("breakfast", r"cereals|jam|honey|sweet spreads|rolls/buns|butter$|domestic eggs|coffee|^tea$|yogurt"),
    ],
}
STOP = frozenset("a an and the of for in on to from with something some films film".split())
