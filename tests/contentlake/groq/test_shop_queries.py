"""The query shapes the shop runs, end to end through parse → evaluate."""

from __future__ import annotations

from contentlake.groq import Dataset, evaluate, parse

PRODUCT_PAGE = """
*[_type == "product" && slug.current == $slug][0]{
  title,
  "slug": slug.current,
  "design": design->{title, "story": pt::text(story), "image": artwork.asset._ref},
  "categories": categories[]->{title, "slug": slug.current},
  "uids": variants[defined(productUid)].productUid,
  "blackSizes": variants[colour == "Black"].size,
  "colours": array::unique(variants[].colour),
  "from": math::min(variants[].priceCents),
  featured == true => {"badge": "hot"},
  !defined(design) => {"design": "none"}
}"""


def test_product_page_by_slug_with_derefs_and_projection(shop: Dataset) -> None:
    assert evaluate(PRODUCT_PAGE, shop, {"slug": "compost-happens"}) == {
        "title": "Compost Happens Tee",
        "slug": "compost-happens",
        "design": {
            "title": "Compost Happens",
            "story": "Rot well.",
            "image": "image-abc-600x600-png",
        },
        "categories": [{"title": "Grim", "slug": "grim"}],
        "uids": ["u1", "u2"],
        "blackSizes": ["S", "M"],
        "colours": ["Black", "Bone"],
        "from": 2900,
    }


def test_conditional_projection_blocks_apply_only_when_true(shop: Dataset) -> None:
    page = evaluate(PRODUCT_PAGE, shop, {"slug": "planet"})
    assert page["badge"] == "hot"
    assert page["design"] == "none"  # a later conditional block overrides the attribute
    assert page["uids"] == []
    assert page["from"] is None
    assert evaluate(PRODUCT_PAGE, shop, {"slug": "no-such-product"}) is None


def test_category_listing_filters_orders_and_pages(shop: Dataset) -> None:
    query = """*[_type == "product" && references($cat) && published == true]
        | order(basePrice desc, title asc) [$start...$end]{title, "total": count(variants)}"""
    first = evaluate(query, shop, {"cat": "category-grim", "start": 0, "end": 1})
    assert first == [{"title": "The Planet Is Fine", "total": 0}]
    rest = evaluate(query, shop, {"cat": "category-grim", "start": 1, "end": 24})
    assert rest == [{"title": "Compost Happens Tee", "total": 3}]
    assert evaluate('count(*[_type == "product" && references($cat)])', shop, {"cat": "x"}) == 0


def test_search_with_match_and_score_ranks_best_first(shop: Dataset) -> None:
    query = """*[_type == "product" && (title match $q || description match $q)]
        | score(boost(title match $q, 3), description match $q){title, _score}"""
    found = evaluate(query, shop, {"q": "compost*"})
    assert [r["title"] for r in found] == ["Compost Happens Tee", "The Planet Is Fine"]
    assert found[0]["_score"] > found[1]["_score"] > 0
    assert evaluate(query, shop, {"q": "glacier"}) == []


def test_inventory_for_a_list_of_uids(shop: Dataset) -> None:
    query = '*[_type == "inventory" && productUid in $uids]{productUid, available}'
    assert evaluate(query, shop, {"uids": ["u2", "u9"]}) == [
        {"productUid": "u2", "available": False}
    ]


def test_custom_function_declared_before_the_query(shop: Dataset) -> None:
    query = """fn shop::card($p) = $p{title, "slug": slug.current};
        *[_type == "product" && featured]{"card": shop::card(@)}"""
    assert evaluate(query, shop) == [{"card": {"title": "The Planet Is Fine", "slug": "planet"}}]


def test_spread_shorthand_and_dereference_attribute(shop: Dataset) -> None:
    doc = evaluate('*[_id == "product-compost"][0]{..., "designTitle": design->title}', shop)
    assert doc["basePrice"] == 2900
    assert doc["designTitle"] == "Compost Happens"
    assert doc["_id"] == "product-compost"
    assert evaluate('*[_id == "product-moth"][0].design->title', shop) is None


def test_parent_scope_in_a_subquery(shop: Dataset) -> None:
    query = """*[_type == "category"] | order(title){
        title, "products": *[_type == "product" && references(^._id)] | order(title).title}"""
    assert evaluate(query, shop) == [
        {"title": "Grim", "products": ["Compost Happens Tee", "The Planet Is Fine"]},
        {"title": "Soft", "products": ["Moth To A Flame", "The Planet Is Fine"]},
    ]


def test_parsed_queries_are_reusable_and_cached() -> None:
    query = parse("*[_type == $t]._id")
    docs = [{"_id": "a", "_type": "x"}, {"_id": "b", "_type": "y"}]
    assert evaluate(query, docs, {"t": "x"}) == ["a"]
    assert evaluate(query, docs, {"t": "y"}) == ["b"]
    assert parse("*[_type == $t]._id") is query
