"""Re-created accounts on small hand-built data: platform ids are not handles, overlapping activity
counts against a re-creation, removal for it, handle edits by character substitution are seen, and
the score is a probability with evidence for each signal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from openiru.graph.assemble import AccountRow, EdgeRow, PostRow, assemble
from openiru.graph.identity import handle_similarity, is_platform_id, name_similarity, real_name
from openiru.graph.recreation import DEFAULT_MIN_SCORE, Observation, log_likelihood_ratios
from openiru.graph.resurgence import AccountLink, find_links

T0 = datetime(2026, 3, 2, tzinfo=UTC)
AVATAR = "a5" * 32


def _activity(aid: str, days: range, audience: list[str], platform: str = "telegram") -> tuple[list, list]:
    posts, edges = [], []
    for d in days:
        t = T0 + timedelta(days=d, hours=3)
        posts.append(PostRow(platform, f"{aid}/{d}", aid, t, f"entry {aid} day {d}"))
        for follower in audience:
            edges.append(EdgeRow(platform, follower, platform, aid, "reply", t + timedelta(minutes=5)))
    return posts, edges


def _links(
    accounts: list[AccountRow], spans: dict[str, range], audience: list[str], platform: str = "telegram"
) -> set[tuple[str, str]]:
    return _links_with(accounts, {aid: (days, audience) for aid, days in spans.items()}, platform)


def test_platform_ids_are_not_handles() -> None:
    assert is_platform_id("user1001") and is_platform_id("1448123") and is_platform_id("aB3dE5gH7jK9mN1pQ")
    assert real_name("user1001", "user1001") is None and real_name("north@social.example") == "north"
    assert real_name("orchard_voice_2") == "orchard_voice_2"
    # two members of one group whose only "names" are their ids: consecutive numbers, not one person
    accounts = [
        AccountRow(
            "telegram",
            "user1001",
            "user1001",
            status="suspended",
            status_changed_at=T0 + timedelta(days=10, hours=4),
        ),
        AccountRow("telegram", "user1002", "user1002"),
    ]
    links = _links(accounts, {"user1001": range(0, 10), "user1002": range(11, 30)}, ["user5", "user6"])
    assert links == set()


def test_overlapping_activity_is_evidence_against_recreation() -> None:
    accounts = [
        AccountRow(
            "x",
            "1",
            "harbor_light",
            "Harbor Light",
            status="suspended",
            status_changed_at=T0 + timedelta(days=20, hours=4),
        ),
        AccountRow("x", "2", "harbor_light_2", "Harbor Light"),
    ]
    # the "successor" posted for two days while the "predecessor" still posted
    overlapping = _links(accounts, {"1": range(0, 21), "2": range(19, 40)}, ["7", "8"], "x")
    assert overlapping == set()
    after = _links(accounts, {"1": range(0, 21), "2": range(21, 40)}, ["7", "8"], "x")
    assert after == {("2", "1")}


def _pair_links(status: str, handle: str, name: str) -> list[AccountLink]:
    """Re-created links of one pair on X: ``handle`` silent (``status``; removed on day 10) and
    ``handle``_2 from day 11, the same name and audience, and a third account posting throughout."""
    accounts = [
        AccountRow(
            "x",
            "1",
            handle,
            name,
            status=status,
            status_changed_at=T0 + timedelta(days=10, hours=4) if status != "active" else None,
        ),
        AccountRow("x", "2", f"{handle}_2", name),
    ]
    posts, edges = [], []
    for aid, days in {"1": range(0, 10), "2": range(11, 25), "3": range(0, 60)}.items():
        p, e = _activity(aid, days, ["7", "8"], "x")
        posts += p
        edges += e
    return [
        lk for lk in find_links(assemble(accounts, posts, edges), min_score=0.0) if lk.link == "recreated"
    ]


def test_removal_weighs_for_recreation_and_the_score_is_a_probability() -> None:
    def link(status: str) -> list[AccountLink]:
        return _pair_links(status, "lantern_post", "Lantern Post")

    suspended, silent = link("suspended"), link("active")  # "active" but silent for 40 days
    assert len(suspended) == len(silent) == 1
    assert DEFAULT_MIN_SCORE <= silent[0].score < suspended[0].score < 1.0
    ratios = suspended[0].evidence["log_likelihood_ratios"]
    assert (
        ratios["predecessor_removed"] > 0
        and ratios["handle"] > 0
        and "predecessor_removed" not in silent[0].evidence["log_likelihood_ratios"]
    )


def test_handle_edits_by_character_substitution_are_recognised() -> None:
    assert handle_similarity("north_wind", "n0rth_w1nd") >= 0.9  # leetspeak digits for letters
    assert handle_similarity("north_wind", "nroth_wind") >= 0.9  # swapped letters
    assert handle_similarity("north_wind", "noth_wind") >= 0.9  # dropped letter
    assert handle_similarity("north_wind", "north_wind_88") >= 0.9  # suffix digits
    assert handle_similarity("north_wind", "south_mill") < 0.7
    # a new display name, the same avatar: swapped letters in the handle still give the operator away
    accounts = [
        AccountRow(
            "x",
            "1",
            "quietharbour",
            "Quiet Harbour",
            status="suspended",
            avatar_pdq=AVATAR,
            status_changed_at=T0 + timedelta(days=10, hours=4),
        ),
        AccountRow("x", "2", "queitharbour", "QH relay", avatar_pdq=AVATAR),
        AccountRow("x", "3", "quietharvest", "Quiet Harvest"),
    ]
    links = _links(accounts, {"1": range(0, 10), "2": range(11, 30), "3": range(12, 30)}, ["7"], "x")
    assert links == {("2", "1")}


def test_channels_known_only_by_title_link_by_title() -> None:
    accounts = [
        AccountRow("telegram", "channel501", None, "Anvil Relay 6"),
        AccountRow("telegram", "channel502", None, "Anvil Relay 6 backup"),
        AccountRow("telegram", "channel503", None, "Copper Bridge"),
    ]
    spans = {"channel501": range(0, 10), "channel502": range(12, 40), "channel503": range(0, 40)}
    assert _links(accounts, spans, ["user7", "user8"]) == {("channel502", "channel501")}


def test_a_regular_poster_quiet_for_a_week_has_stopped() -> None:
    """No status from the platform, data ending ten days after the last post: an account that posted
    every day has stopped (silence judged by its own rhythm), one posting every eight days has not."""
    accounts = [
        AccountRow("telegram", "user41", None, "Amira Quist"),
        AccountRow("telegram", "user42", None, "Amira Quist2"),
    ]
    daily = _links(accounts, {"user41": range(0, 20), "user42": range(21, 30)}, ["user7", "user8"])
    assert daily == {("user42", "user41")}
    sparse = _links(accounts, {"user41": range(0, 20, 8), "user42": range(21, 30)}, ["user7", "user8"])
    assert sparse == set()


def test_a_regular_poster_quiet_longer_than_ever_while_its_successor_posts_has_stopped() -> None:
    """Posting every three days, then twelve days quiet to the end of the data: short of the
    fourteen days stop_times asks (five median gaps, capped), but longer than it was ever quiet
    before, and its look-alike began in that silence and posted six times since: the operator's posts
    go on on the new account.  With only three posts from the successor the silence is not yet a stop."""
    accounts = [
        AccountRow("telegram", "user61", None, "Amira Quist"),
        AccountRow("telegram", "user62", None, "Amira Quist2"),
    ]
    audience = ["user7", "user8", "user9"]
    taken_over = _links(accounts, {"user61": range(0, 28, 3), "user62": range(29, 40, 2)}, audience)
    assert taken_over == {("user62", "user61")}
    early = _links(accounts, {"user61": range(0, 28, 3), "user62": range(33, 40, 3)}, audience)
    assert early == set()


def test_a_distinctive_bio_identifies_a_renamed_account_and_a_stock_bio_does_not() -> None:
    def linked(bio: str, others: int) -> set[tuple[str, str]]:
        accounts = [
            AccountRow(
                "x",
                "1",
                "mira_kes",
                "Mira Novak",
                bio,
                status="suspended",
                status_changed_at=T0 + timedelta(days=10, hours=4),
            ),
            AccountRow("x", "2", "jonascosta34", "Jonas Costa", bio),
        ]
        accounts += [AccountRow("x", f"5{k}", f"member{k}", f"Member {k}", bio) for k in range(others)]
        return _links(accounts, {"1": range(0, 10), "2": range(11, 30)}, ["7", "8"], "x")

    assert linked("Collects lantern photographs from the northern coast since 2009", 0) == {("2", "1")}
    assert linked("Member of the circle.", 6) == set()


def test_a_silent_account_replaced_without_shared_audience_or_content_is_a_switch_not_evasion() -> None:
    accounts = [
        AccountRow("x", "1", "nadia_ilves", "Nadia Ilves"),
        AccountRow("x", "2", "nadiailves_", "Nadia Ilves"),
    ]
    posts = [
        PostRow("x", f"{aid}-{d}", aid, T0 + timedelta(days=d, hours=2), f"garden diary {aid} day {d} notes")
        for aid, days in (("1", range(0, 20)), ("2", range(21, 40)))
        for d in days
    ]
    assert find_links(assemble(accounts, posts, [])) == []
    accounts[0].status, accounts[0].status_changed_at = "suspended", T0 + timedelta(days=19, hours=5)
    assert [lk.link for lk in find_links(assemble(accounts, posts, []))] == ["recreated"]


def test_a_silent_account_whose_successor_keeps_only_a_few_contacts_is_a_switch_not_evasion() -> None:
    """Never removed: the new account under a similar name is linked only when the predecessor's
    audience follows it (a community following its member), not when one contact in nine does."""

    def linked(shared: int) -> set[tuple[str, str]]:
        accounts = [
            AccountRow("x", "1", "dana_lun", "Dana Lun"),
            AccountRow("x", "2", "dana_lun2", "Dana Lun"),
        ]
        posts, edges = [], []
        for aid, days, audience in (
            ("1", range(0, 20), [f"a{k}" for k in range(9)]),
            ("2", range(21, 40), [f"a{k}" for k in range(shared)] + [f"b{k}" for k in range(9 - shared)]),
        ):
            p, e = _activity(aid, days, audience, "x")
            posts += p
            edges += e
        data = assemble(accounts, posts, edges)
        ids = data.accounts.account_id
        return {(ids[lk.account], ids[lk.predecessor]) for lk in find_links(data) if lk.link == "recreated"}

    assert linked(1) == set()  # audience Jaccard 1/17: a person's new account
    assert linked(8) == {("2", "1")}  # the predecessor's audience moved with it


def test_the_same_avatar_file_identifies_a_renamed_account_unless_it_is_a_default_picture() -> None:
    def linked(avatar: str, others: int) -> set[tuple[str, str]]:
        accounts = [
            AccountRow(
                "x",
                "1",
                "wimsel",
                "Wim Haddad",
                status="suspended",
                status_changed_at=T0 + timedelta(days=10, hours=4),
                avatar_key=avatar,
            ),
            AccountRow("x", "2", "miramur", "Mira Brandt", avatar_key=avatar),
        ]
        accounts += [
            AccountRow("x", f"5{k}", f"member{k}", f"Member {k}", avatar_key=avatar) for k in range(others)
        ]
        return _links(accounts, {"1": range(0, 10), "2": range(11, 30)}, ["7", "8"], "x")

    assert linked("sha256:" + "3c" * 32, 0) == {("2", "1")}
    assert linked("url:https://example.org/default_profile.png", 6) == set()
    assert linked("", 0) == set()


def test_a_predecessor_the_platform_shows_alive_after_the_successor_began_is_not_re_created() -> None:
    """A users look-up made after the new account appeared returned the old one as active: both were
    alive at once, whatever the posts show; a removal seen when it stopped links them."""

    def linked(status: str) -> set[tuple[str, str]]:
        seen = T0 + timedelta(days=40) if status == "active" else T0 + timedelta(days=10, hours=4)
        accounts = [
            AccountRow(
                "x",
                "1",
                "vera_moreau",
                "Vera Moreau",
                status=status,
                status_changed_at=seen,
                avatar_key="sha256:" + "3c" * 32,
            ),
            AccountRow("x", "2", "vera_moreau_", "Vera Moreau", avatar_key="sha256:" + "3c" * 32),
        ]
        return _links(accounts, {"1": range(0, 10), "2": range(11, 30)}, ["7", "8", "9"], "x")

    assert linked("active") == set()
    assert linked("suspended") == {("2", "1")}


def test_the_same_title_weighs_no_more_than_the_same_skeleton() -> None:
    """A title is not unique as a handle is: a namesake holding exactly the predecessor's title
    does not outweigh a successor with the title edited (leet digits) that carries the predecessor's
    texts over; with handles the same handle still weighs more than the same skeleton."""
    same = Observation(
        handle=1.0,
        display_name=None,
        bio=None,
        avatar_distance=None,
        audience=0.5,
        audience_size=6,
        content=0.0,
        removed=False,
        gap=86400.0,
        overlap=0.0,
        created_before_stop=None,
    )
    assert log_likelihood_ratios(same)["handle"] == 5.0
    assert log_likelihood_ratios(replace(same, title_only=True))["handle"] == 4.0
    accounts = [
        AccountRow("telegram", "user100", None, "Petra Haddad"),
        AccountRow("telegram", "user200", None, "Petra Haddad"),
        AccountRow("telegram", "user300", None, "P3tra H4ddad"),
    ]
    audience = [f"user{k}" for k in range(1, 7)]
    posts, edges = _activity("user100", range(0, 11), audience)
    for aid, days in (("user200", range(12, 40, 27)), ("user300", range(13, 40))):
        p, e = _activity(aid, days, audience[:3] if aid == "user200" else audience)
        posts += p
        edges += e
    texts = [" ".join(f"note{d}word{k}" for k in range(8)) for d in range(10)]  # ten distinct texts
    posts += [
        PostRow("telegram", f"user100/text{d}", "user100", T0 + timedelta(days=d, hours=9), texts[d])
        for d in range(10)
    ]
    posts.append(PostRow("telegram", "user300/copy", "user300", T0 + timedelta(days=14, hours=9), texts[0]))
    data = assemble(accounts, posts, edges)
    ids = data.accounts.account_id
    assert {(ids[lk.account], ids[lk.predecessor]) for lk in find_links(data) if lk.link == "recreated"} == {
        ("user300", "user100")
    }


def test_a_silent_predecessor_on_a_platform_that_reports_removals_was_not_removed() -> None:
    """Where the platform's data says who was removed (another account there is seen suspended),
    an account that merely went quiet was not: its owner's new account, with the same name, avatar
    and audience, is one person's next account, not ban evasion.  Where no removal is ever seen
    (a Telegram export), the same silence is all a removal leaves, and the pair is linked."""

    def linked(platform: str, others_suspended: bool) -> set[tuple[str, str]]:
        avatar = "sha256:" + "5e" * 32
        accounts = [
            AccountRow(platform, "1", "tarn_ebo", "Tarn Ebo", avatar_key=avatar),
            AccountRow(platform, "2", "tarn_ebo_backup", "Tarn Ebo", avatar_key=avatar),
            AccountRow(
                platform,
                "9",
                "quill_orm",
                "Quill Orm",
                status="suspended" if others_suspended else "unknown",
                status_changed_at=T0 + timedelta(days=5),
            ),
        ]
        return _links(
            accounts, {"1": range(0, 20), "2": range(21, 40), "9": range(0, 5)}, ["7", "8", "6"], platform
        )

    assert linked("telegram", False) == {("2", "1")}
    assert linked("toot.example", False) == {("2", "1")}
    assert linked("toot.example", True) == set()


def test_names_edited_inside_a_word_and_short_handles_with_swapped_letters_are_recognised() -> None:
    """A letter dropped from the surname (``Noor osta``) moves it in the sorted word order, yet the name
    is the same but one letter; a four-letter handle with two neighbouring letters swapped keeps
    every letter (``uman``/``umna``), while one letter replaced is another short name (``ivan``/``ivar``)."""
    assert name_similarity("Noor Costa", "Noor osta") >= 0.9
    assert name_similarity("Novak Uma", "Uma Novak") == 1.0
    assert handle_similarity("uman", "umna") >= 0.9
    assert handle_similarity("ivan", "ivar") < 0.8 and handle_similarity("uman", "unam") < 0.8
    platform = "chat.example"
    dropped = [
        AccountRow(platform, "aaaaaaaaaaaaaaaa1", "noor.costa", "Noor Costa"),
        AccountRow(platform, "aaaaaaaaaaaaaaaa2", "noor.cost", "Noor osta"),
    ]
    spans = {"aaaaaaaaaaaaaaaa1": range(0, 5), "aaaaaaaaaaaaaaaa2": range(14, 30)}
    assert _links(dropped, spans, ["m7"], platform) == {("aaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaa1")}
    swapped = [
        AccountRow(platform, "aaaaaaaaaaaaaaaa1", "uman", "Uma Novak"),
        AccountRow(platform, "aaaaaaaaaaaaaaaa2", "umna", "Uma Novak (back)"),
    ]
    assert _links(swapped, spans, ["m7", "m8", "m9"], platform) == {
        ("aaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaa1")
    }


def test_a_silent_account_whose_owner_carried_on_beside_it_is_not_re_created_by_a_later_namesake() -> None:
    """``vera.brandt`` went quiet on a server that never shows removals, a day after ``vera.brandt2``
    (the same display name) began posting beside it and went on: its owner switched accounts.  A
    later ``vera.brandt3`` under another name is not its re-creation.  Without the switch it is
    linked; a title only (a Telegram user without a username) is what a namesake holds too, and does
    not explain the silence away."""

    def linked(platform: str, switched: bool, titles: bool = False) -> set[tuple[str, str]]:
        def row(aid: str, handle: str, name: str) -> AccountRow:
            return AccountRow(platform, aid, None if titles else handle, name)

        accounts = [row("user101", "vera.brandt", "Vera Brandt"), row("user103", "vera.brandt3", "Oma Kovac")]
        spans = {"user101": range(0, 20), "user103": range(25, 40)}
        if switched:
            accounts.append(row("user102", "vera.brandt2", "Vera Brandt"))
            spans["user102"] = range(18, 40)
        if titles:
            accounts[1] = row("user103", "", "Vera Brandtt")
        return _links(accounts, spans, ["user7", "user8", "user9"], platform)

    assert linked("chat.example", switched=False) == {("user103", "user101")}
    assert linked("chat.example", switched=True) == set()
    assert linked("telegram", switched=True, titles=True) == {("user103", "user101")}


def _links_with(
    accounts: list[AccountRow], spans: dict[str, tuple[range, list[str]]], platform: str
) -> set[tuple[str, str]]:
    """Like :func:`_links`, each account with its own audience."""
    posts, edges = [], []
    for aid, (days, audience) in spans.items():
        p, e = _activity(aid, days, audience, platform)
        posts += p
        edges += e
    data = assemble(accounts, posts, edges)
    ids = data.accounts.account_id
    return {(ids[lk.account], ids[lk.predecessor]) for lk in find_links(data) if lk.link == "recreated"}


def test_a_namesake_posting_beside_a_silent_account_does_not_explain_its_silence() -> None:
    """``zenol`` ("Zeno Lund") went quiet on a server that never shows removals; ``zenol2``, also
    "Zeno Lund" (the server numbered the second one's handle), posted beside it and went on, among
    other people: a namesake, not the owner's second account.  ``zeonl`` "Zeno Lund", later, with
    ``zenol``'s contacts, is its re-creation.  A second account among the same contacts still
    explains the silence (one person who switched)."""
    platform = "chat.example"
    ours, others = ["m1", "m2", "m3", "m4"], ["o1", "o2", "o3", "o4"]

    def linked(second_audience: list[str]) -> set[tuple[str, str]]:
        accounts = [
            AccountRow(platform, "aaaaaaaaaaaaaaaa1", "zenol", "Zeno Lund"),
            AccountRow(platform, "aaaaaaaaaaaaaaaa2", "zenol2", "Zeno Lund"),
            AccountRow(platform, "aaaaaaaaaaaaaaaa3", "zeonl", "Zeno Lund"),
        ]
        spans = {
            "aaaaaaaaaaaaaaaa1": (range(0, 20), ours),
            "aaaaaaaaaaaaaaaa2": (range(10, 40), second_audience),
            "aaaaaaaaaaaaaaaa3": (range(25, 40), ours),
        }
        return _links_with(accounts, spans, platform)

    assert linked(others) == {("aaaaaaaaaaaaaaaa3", "aaaaaaaaaaaaaaaa1")}
    assert linked(ours) == set()


def test_a_namesake_sharing_no_content_does_not_explain_away_a_successor_that_carries_it_on() -> None:
    """``jonasn`` ("Jonas Novak") went quiet on a server that never shows removals; ``jonasn2``, also
    "Jonas Novak", posted beside it among the same people but never what it posted.  ``jon4sn``,
    later, posts again five of ``jonasn``'s statements among the same people: names, audience and
    content together say more for it than for the namesake, so it is the re-creation.  Without the
    statements carried over, the namesake's exact names weigh more and explain the silence."""
    platform = "chat.example"
    ours = ["m1", "m2", "m3", "m4"]

    def linked(carried: int) -> set[tuple[str, str]]:
        accounts = [
            AccountRow(platform, "aaaaaaaaaaaaaaaa1", "jonasn", "Jonas Novak"),
            AccountRow(platform, "aaaaaaaaaaaaaaaa2", "jonasn2", "Jonas Novak"),
            AccountRow(platform, "aaaaaaaaaaaaaaaa3", "jon4sn", "Jon4s Novak"),
        ]
        posts, edges = [], []
        for aid, days in (
            ("aaaaaaaaaaaaaaaa1", range(0, 20)),
            ("aaaaaaaaaaaaaaaa2", range(0, 40)),
            ("aaaaaaaaaaaaaaaa3", range(23, 40)),
        ):
            p, e = _activity(aid, days, ours, platform)
            posts += p
            edges += e
        for k in range(carried):  # the old account's statements, posted again word for word
            text = f"statement {k} of the harbour council read aloud"
            for aid, day in (("aaaaaaaaaaaaaaaa1", 2 * k), ("aaaaaaaaaaaaaaaa3", 24 + 2 * k)):
                t = T0 + timedelta(days=day, hours=9)
                posts.append(PostRow(platform, f"{aid}/s{k}", aid, t, text))
        data = assemble(accounts, posts, edges)
        ids = data.accounts.account_id
        return {(ids[lk.account], ids[lk.predecessor]) for lk in find_links(data) if lk.link == "recreated"}

    assert linked(5) == {("aaaaaaaaaaaaaaaa3", "aaaaaaaaaaaaaaaa1")}
    assert linked(0) == set()


def test_two_edits_in_one_short_word_of_a_name_are_another_name() -> None:
    """Titles compared as handles take two edits from ten letters, but one in a word shorter than five:
    ``Hana Okafor``/``Anja Okafor`` rewrite the first name (another member of the family), ``Hana
    Tamm``/``Haa Tamm`` drop one letter, ``Pavel Orlov``/``Pavel Orloff`` spell a longer word
    another way.  Telegram users known by their titles, the same audience."""
    assert (
        handle_similarity("Hana Okafor", "Anja Okafor")
        < 0.9
        <= handle_similarity("Hana Okafor", "Hana Okafr")
    )
    assert (
        handle_similarity("Hana Tamm", "Haa Tamm") >= 0.9
        and handle_similarity("Pavel Orlov", "Pavel Orloff") >= 0.9
    )
    for name, expected in (("Anja Okafor", set()), ("Hana Okafr", {("user202", "user201")})):
        accounts = [
            AccountRow("telegram", "user201", None, "Hana Okafor"),
            AccountRow("telegram", "user202", None, name),
        ]
        spans = {"user201": range(0, 20), "user202": range(22, 40)}
        assert _links(accounts, spans, ["user7", "user8", "user9"]) == expected


def test_a_handle_four_fifths_alike_weighs_as_documented() -> None:
    """``verak``/``veak`` (a letter dropped from five) are 8/9 alike: 0.8 once scaled, which the
    handle ratio counts (+1.5), not 0.7999999999999999 below it; with the display name one letter
    short (``Vera ovac``) and the audience carried over, the silent ``verak`` is re-created."""
    assert handle_similarity("verak", "veak") == 0.8
    bare = Observation(None, None, None, None, 0.0, 0, 0.0, False, 86400.0, 0.0, None)
    assert log_likelihood_ratios(replace(bare, handle=handle_similarity("bodor", "bodo")))["handle"] == 1.5
    platform = "chat.example"
    accounts = [
        AccountRow(platform, "aaaaaaaaaaaaaaaa1", "verak", "Vera Kovac"),
        AccountRow(platform, "aaaaaaaaaaaaaaaa2", "veak", "Vera ovac"),
    ]
    spans = {"aaaaaaaaaaaaaaaa1": range(0, 20), "aaaaaaaaaaaaaaaa2": range(22, 40)}
    assert _links(accounts, spans, ["m1", "m2", "m3"], platform) == {
        ("aaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaa1")
    }


def test_a_link_resting_on_names_and_audience_alone_is_marked_uncorroborated() -> None:
    """The same handle skeleton, name and audience, the predecessor silent: listed (score >= 0.9), but
    nothing beyond names, audience and timing supports it, which is also what one person's second
    account shows: ``evidence.corroborated`` is false.  Seen suspended, the same pair is corroborated."""

    def link(status: str) -> dict[str, object]:
        (found,) = _pair_links(status, "quay_notes", "Quay Notes")
        assert found.score >= DEFAULT_MIN_SCORE
        return found.evidence

    silent, removed = link("active"), link("suspended")
    assert silent["corroborated"] is False and "content" not in silent["log_likelihood_ratios"]  # type: ignore[operator]
    assert removed["corroborated"] is True
