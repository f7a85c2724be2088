"""Our localstripe's lists read one type's objects (``api.localstripe_shims``), and give
the same answers as upstream's walk of the whole store: a charge's refunds and amount
refunded, lists after a restart (the store loaded from disk) and after a data flush.

Real server, real stripe SDK.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from tests.integration.test_localstripe_persistence import client, localstripe


def _paid(sdk, amount: int) -> str:
    intent = sdk.v1.payment_intents.create(
        {"amount": amount, "currency": "eur", "payment_method": "pm_card_visa"}
    )
    charge = sdk.v1.payment_intents.confirm(intent.id).latest_charge
    return charge if isinstance(charge, str) else charge.id  # localstripe expands it


def test_refunds_and_lists_survive_the_index(tmp_path: Path) -> None:
    state = tmp_path / "localstripe.pickle"
    with localstripe(state, save_interval=3600) as url:
        sdk = client(url)
        charges = [_paid(sdk, 1000 + i) for i in range(5)]
        sdk.v1.refunds.create({"charge": charges[1], "amount": 300})
        sdk.v1.refunds.create({"charge": charges[1], "amount": 200})
        sdk.v1.refunds.create({"charge": charges[3]})
        refunded = sdk.v1.charges.retrieve(charges[1])
        assert refunded.amount_refunded == 500 and not refunded.refunded
        assert sorted(r.amount for r in refunded.refunds.data) == [200, 300]
        assert sdk.v1.charges.retrieve(charges[3]).refunded
        assert sdk.v1.charges.retrieve(charges[0]).amount_refunded == 0
        customers = [sdk.v1.customers.create({"email": f"l{i}@example.com"}).id for i in range(3)]
        listed = sdk.v1.customers.list({"limit": 100})
        assert {c.id for c in listed.data} == set(customers)
    # Restarted: the store is loaded from the pickle, and the index with it.
    with localstripe(state, save_interval=3600) as url:
        sdk = client(url)
        assert sdk.v1.charges.retrieve(charges[1]).amount_refunded == 500
        assert len(sdk.v1.customers.list({"limit": 100}).data) == 3
        request = urllib.request.Request(f"{url}/_config/data", method="DELETE")
        urllib.request.urlopen(request, timeout=5).close()
        assert sdk.v1.customers.list({"limit": 100}).data == []
        fresh = sdk.v1.customers.create({"email": "after-flush@example.com"}).id
        assert [c.id for c in sdk.v1.customers.list({"limit": 100}).data] == [fresh]
